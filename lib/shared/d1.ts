/**
 * The part of Cloudflare D1's API the inbox uses, as plain structural types. Why not D1Database
 * from @cloudflare/workers-types: lib/ is also type-checked on the Node side (tsconfig.json), where
 * the Workers globals do not exist. The real D1Database satisfies these interfaces, which
 * functions/_app.ts checks at compile time against wrangler's generated Env.
 */

export interface InboxRunResult<T> {
  results: T[];
  meta: { changes: number };
}

export interface InboxStatement {
  bind(...values: unknown[]): InboxStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<InboxRunResult<T>>;
  run<T = Record<string, unknown>>(): Promise<InboxRunResult<T>>;
}

export interface InboxDb {
  prepare(query: string): InboxStatement;
  batch<T = unknown>(statements: InboxStatement[]): Promise<InboxRunResult<T>[]>;
}

/** The bindings and vars the functions read (wrangler.toml [vars], the D1 binding, the secret). */
export interface InboxEnv {
  DB: InboxDb;
  RATE_LIMIT_WINDOW_SECONDS?: string;
  RATE_LIMIT_PER_IP?: string;
  RATE_LIMIT_PER_SENDER?: string;
  VERIFY_ALLOW_PRIVATE_HOSTS?: string;
  /** Owner API bearer token: a wrangler secret in production, .dev.vars locally. */
  OWNER_TOKEN?: string;
}
