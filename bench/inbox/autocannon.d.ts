// autocannon 8 ships JavaScript without type declarations; this is the part of its programmatic API
// scripts/bench-inbox uses (see node_modules/autocannon/README.md, "API").
declare module "autocannon" {
  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }
  /** Per connection; autocannon resets it before each pass over `requests` (here: before every request). */
  type AutocannonContext = Record<string, unknown>;
  interface AutocannonRequestSpec extends AutocannonRequest {
    setupRequest?: (request: AutocannonRequest, context: AutocannonContext) => AutocannonRequest | undefined;
    onResponse?: (status: number, body: string, context: AutocannonContext, headers: Record<string, string | string[]>) => void;
  }
  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    title?: string;
    requests?: AutocannonRequestSpec[];
  }
  /** hdr-histogram-percentiles-obj: min, max, average, stddev, p2_5 ... p99_999, total. */
  interface Histogram {
    min: number;
    max: number;
    average: number;
    stddev: number;
    total: number;
    p2_5: number;
    p50: number;
    p75: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
  }
  interface AutocannonResult {
    title?: string;
    url: string;
    /** Seconds. */
    duration: number;
    /** Requests completed per one-second sample; `total` is all completed requests. */
    requests: Histogram & { sent: number };
    /** Milliseconds, of 2xx responses only (autocannon's default). */
    latency: Histogram & { totalCount: number };
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    "2xx": number;
    "4xx": number;
    "5xx": number;
    statusCodeStats: Record<string, { count: number }>;
  }
  /** An EventEmitter that is also a thenable of the result (when no callback is passed). */
  interface Instance extends PromiseLike<AutocannonResult> {
    stop(): void;
  }
  function autocannon(options: AutocannonOptions): Instance;
  export default autocannon;
  export type { AutocannonContext, AutocannonOptions, AutocannonRequest, AutocannonResult };
}
