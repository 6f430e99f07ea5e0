/**
 * One autocannon run against one route of the load phase's server, every request with its own message.
 *
 * Unique bodies matter: the inbox stores a repeated message once (idempotent POST), so each request
 * carries its own number in `message`. autocannon's `[<id>]` replacement is NOT used: autocannon
 * 8.0.0 declares 27 bytes per id in Content-Length while its hyperid 3.3 makes 24-character ids, so
 * the server waits for 3 bytes that never come and every request hangs until the run ends.
 * `setupRequest` builds the body instead, and autocannon computes Content-Length from it.
 *
 * Every route gets the same bodies and the same client-side bookkeeping, so the bare baseline, the
 * one-D1-insert reference and the inbox differ only in what the Worker does.
 */
import autocannon, { type AutocannonContext, type AutocannonResult } from "autocannon";
import { MESSAGE_ROUTE } from "../../lib/shared/urls.ts";

/** The bare route of the copy's wrapper entry (server.ts, functions/bench-entry.ts): 201, nothing else. */
export const BARE_ROUTE = "/api/bare";
/** The reference route of the same wrapper: one D1 INSERT of the body, then 201. */
export const INSERT_ROUTE = "/api/bare-insert";

export const ROUTES = { bare: BARE_ROUTE, insert: INSERT_ROUTE, inbox: MESSAGE_ROUTE } as const;
export type RouteName = keyof typeof ROUTES;
/** The order of every round: the baseline, the reference, then the route under test. */
export const ROUTE_ORDER: readonly RouteName[] = ["bare", "insert", "inbox"];
/** How the tables name each route. */
export const ROUTE_LABELS: Readonly<Record<RouteName, string>> = { bare: "bare", insert: "one D1 insert", inbox: "inbox" };

/** bob from the example site/_data/follows.yaml: accepted under every accept policy but "off". */
const SENDER = {
  user_id: "0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13",
  username: "bob",
  user_link: "https://bob.example/feed.xml",
} as const;
/** A fixed date: with the text it forms the idempotency key, and the text alone is already unique. */
const MESSAGE_DATE = "2026-01-05T10:00:00Z";
const MESSAGE_PREFIX = "bench-inbox message #";

export function messageText(n: number): string {
  return `${MESSAGE_PREFIX}${n}`;
}

/** The request number in a stored message text, or undefined when the row is not one of ours. */
export function messageNumber(text: string): number | undefined {
  if (!text.startsWith(MESSAGE_PREFIX)) return undefined;
  const digits = text.slice(MESSAGE_PREFIX.length);
  return /^(0|[1-9]\d{0,14})$/.test(digits) ? Number(digits) : undefined;
}

/** A spec "Sending Private Messages" body (lib/shared/schemas.ts messageBody) with message number n. */
export function messageJson(n: number): string {
  return JSON.stringify({ ...SENDER, message: messageText(n), date: MESSAGE_DATE });
}

/**
 * The message text inside a request body stored whole (the insert route stores the raw body), or
 * undefined when the text is not such a body.
 */
export function messageTextOfBody(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const message = typeof parsed === "object" && parsed !== null ? (parsed as { message?: unknown }).message : undefined;
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which request numbers were sent and what came back, across every run against one route.
 * Numbers are handed out in order, so "sent" is exactly 0 .. next-1.
 */
export class Ledger {
  next = 0;
  /** Numbers answered 201 Created. */
  readonly created = new Set<number>();
  /** Numbers answered with any status (the rest timed out or were cut off when a run stopped). */
  readonly answered = new Set<number>();
}

export interface RunStats {
  route: RouteName;
  /** 1.. for measured rounds, 0 for the warm-up. */
  round: number;
  seconds: number;
  /** Responses read (any status). */
  completed: number;
  requestsPerSecond: number;
  /** Latency of 2xx responses, milliseconds (autocannon's histogram, whole ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  created: number;
  non2xx: number;
  status5xx: number;
  /** Connection errors, timeouts included (resets, refused connections). */
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
}

export interface LoadOptions {
  baseUrl: string;
  route: RouteName;
  round: number;
  connections: number;
  durationSeconds: number;
  ledger: Ledger;
}

const NUMBER_KEY = "n";

/** The run in progress, so Ctrl-C can stop it. */
let activeRun: { stop(): void } | undefined;

export async function runLoad(options: LoadOptions): Promise<RunStats> {
  const { ledger } = options;
  const instance = autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: options.durationSeconds,
    title: `${options.route} round ${options.round}`,
    requests: [
      {
        method: "POST",
        path: ROUTES[options.route],
        headers: { "Content-Type": "application/json" },
        // autocannon calls this once per request, with a fresh context (one request per pass).
        setupRequest: (request, context: AutocannonContext) => {
          const n = ledger.next++;
          context[NUMBER_KEY] = n;
          return { ...request, body: messageJson(n) };
        },
        onResponse: (status, _body, context: AutocannonContext) => {
          const n = context[NUMBER_KEY];
          if (typeof n !== "number") return;
          ledger.answered.add(n);
          if (status === 201) ledger.created.add(n);
        },
      },
    ],
  });
  activeRun = instance;
  try {
    return summarize(options.route, options.round, await instance);
  } finally {
    activeRun = undefined;
  }
}

/** Stop a run in progress (Ctrl-C): its connections close and its promise settles. */
export function stopActiveRun(): void {
  activeRun?.stop();
}

function summarize(route: RouteName, round: number, result: AutocannonResult): RunStats {
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = Number(count);
  const countOf = (predicate: (code: number) => boolean) =>
    Object.entries(statuses).reduce((sum, [code, count]) => (predicate(Number(code)) ? sum + count : sum), 0);
  const completed = result.requests.total;
  return {
    route,
    round,
    seconds: result.duration,
    completed,
    requestsPerSecond: result.duration > 0 ? completed / result.duration : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    created: statuses["201"] ?? 0,
    non2xx: result.non2xx,
    status5xx: countOf((code) => code >= 500),
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}
