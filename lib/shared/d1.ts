/**
 * The part of Cloudflare D1's API Skein uses, as plain structural types, and a meter around it.
 *
 * Why structural types and not D1Database from @cloudflare/workers-types: lib/ is also type-checked
 * on the Node side (tsconfig.json), where the Workers globals do not exist. The real D1Database
 * satisfies these interfaces; functions/index.ts checks that at compile time against wrangler's Env.
 *
 * Why a meter: the free plan allows 50 D1 queries per invocation (a batch counts as one) and
 * 100,000 rows written per day. Every scheduled job and the benchmarks read their real cost from
 * D1's own `meta.rows_written` / `meta.rows_read` through meteredDb(), never from an estimate.
 */

export interface DbMeta {
  changes: number;
  rows_read?: number;
  rows_written?: number;
}

export interface DbResult<T> {
  results: T[];
  meta: DbMeta;
}

export interface DbStatement {
  bind(...values: unknown[]): DbStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<DbResult<T>>;
  run<T = Record<string, unknown>>(): Promise<DbResult<T>>;
}

export interface Db {
  prepare(query: string): DbStatement;
  batch<T = unknown>(statements: DbStatement[]): Promise<DbResult<T>[]>;
}

/** What a piece of work cost in D1: calls made (a batch is one), rows read and written. */
export interface DbUsage {
  calls: number;
  rowsRead: number;
  rowsWritten: number;
}

export function emptyUsage(): DbUsage {
  return { calls: 0, rowsRead: 0, rowsWritten: 0 };
}

class MeteredStatement implements DbStatement {
  constructor(
    readonly inner: DbStatement,
    private readonly usage: DbUsage,
  ) {}

  bind(...values: unknown[]): DbStatement {
    return new MeteredStatement(this.inner.bind(...values), this.usage);
  }

  private count(meta: DbMeta): void {
    this.usage.calls += 1;
    this.usage.rowsRead += meta.rows_read ?? 0;
    this.usage.rowsWritten += meta.rows_written ?? 0;
  }

  /** Through all(): first() reports no meta, and the meter must see every read. */
  async first<T = Record<string, unknown>>(): Promise<T | null> {
    const result = await this.inner.all<T>();
    this.count(result.meta);
    return result.results[0] ?? null;
  }

  async all<T = Record<string, unknown>>(): Promise<DbResult<T>> {
    const result = await this.inner.all<T>();
    this.count(result.meta);
    return result;
  }

  async run<T = Record<string, unknown>>(): Promise<DbResult<T>> {
    const result = await this.inner.run<T>();
    this.count(result.meta);
    return result;
  }
}

/** The same database, counting into `usage` (shared, so several meters can add up one total). */
export function meteredDb(db: Db, usage: DbUsage = emptyUsage()): { db: Db; usage: DbUsage } {
  const metered: Db = {
    prepare: (query) => new MeteredStatement(db.prepare(query), usage),
    batch: async <T>(statements: DbStatement[]) => {
      const inner = statements.map((statement) => (statement instanceof MeteredStatement ? statement.inner : statement));
      const results = await db.batch<T>(inner);
      usage.calls += 1;
      for (const result of results) {
        usage.rowsRead += result.meta.rows_read ?? 0;
        usage.rowsWritten += result.meta.rows_written ?? 0;
      }
      return results;
    },
  };
  return { db: metered, usage };
}
