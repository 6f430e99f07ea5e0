/**
 * Reading what a request cost in D1, as the Worker itself reports it: with the var D1_METER_HEADER =
 * "true", every Worker response carries `Server-Timing: d1;desc="calls=N rows_read=N rows_written=N"`
 * (lib/worker/app.ts), the sums of D1's own meta of every call the request's handler made
 * (lib/shared/d1.ts meteredDb). Work done after the response (waitUntil) is not in it.
 *
 * Also the clock of the Rate Limiting binding as wrangler dev runs it: miniflare counts in fixed
 * windows of `period` seconds from the epoch and forgets every count when a new window starts, so a
 * run that must meet a limit inside one window waits for a fresh one first.
 */

export interface D1Meter {
  calls: number;
  rowsRead: number;
  rowsWritten: number;
}

const METER = /(?:^|,)\s*d1;desc="calls=(\d+) rows_read=(\d+) rows_written=(\d+)"/;

/** The d1 entry of a Server-Timing header; undefined when the response has none (the Worker did not run). */
export function parseMeter(header: string | null): D1Meter | undefined {
  const match = header === null ? null : METER.exec(header);
  if (!match) return undefined;
  return { calls: Number(match[1]), rowsRead: Number(match[2]), rowsWritten: Number(match[3]) };
}

export interface MeteredAnswer {
  status: number;
  meter: D1Meter | undefined;
  text: string;
}

export interface PostOptions {
  body: string;
  /** Default application/json. */
  contentType?: string;
  /**
   * The client address the Worker sees. wrangler dev (miniflare) sets CF-Connecting-IP from the
   * socket only when the request has none, so a header set here stands for another client network;
   * Cloudflare's edge always overwrites it, so this works only locally.
   */
  clientIp?: string;
  /** More request fields (a signature's). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function postMetered(url: string, options: PostOptions): Promise<MeteredAnswer> {
  const headers: Record<string, string> = { "Content-Type": options.contentType ?? "application/json", ...options.headers };
  if (options.clientIp) headers["CF-Connecting-IP"] = options.clientIp;
  const init: RequestInit = { method: "POST", headers, body: options.body };
  if (options.signal) init.signal = options.signal;
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, meter: parseMeter(response.headers.get("Server-Timing")), text };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The local rate limiter's window number of an instant (period in seconds). */
export function windowOf(epochMs: number, periodSeconds: number): number {
  return Math.floor(epochMs / (periodSeconds * 1000));
}

/**
 * Wait for a fresh window when less than `needSeconds` are left in the current one, so what follows
 * is counted in one window. Returns the seconds waited.
 */
export async function fitInOneWindow(needSeconds: number, periodSeconds: number, progress: (line: string) => void): Promise<number> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left >= needSeconds * 1000) return 0;
  progress(`waiting ${Math.ceil(left / 1000)} s for a fresh ${periodSeconds}-second rate-limit window ...`);
  await sleep(left + 250);
  return (left + 250) / 1000;
}
