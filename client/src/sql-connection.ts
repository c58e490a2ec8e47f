/**
 * The small SQL surface the branch barrier and XA need, over `pg` and `mysql2/promise`. Statements
 * are written with `?` placeholders (PostgreSQL's `$1..$n` are put in for pg), as dtm's SDK does.
 * The drivers are not imported: any object with the drivers' `query` signature works.
 */
export type SqlDialect = 'postgres' | 'mysql';

export interface SqlConnection {
  readonly dialect: SqlDialect;
  /** Runs one statement and resolves with the number of affected rows. */
  exec(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs one query and resolves with its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The driver's own connection (pg `Client`/`PoolClient`, mysql2 `Connection`/`PoolConnection`). */
  readonly raw: unknown;
}

/** A connection taken from a pool; `release` gives it back (destroying it when `broken`). */
export interface PooledSqlConnection extends SqlConnection {
  release(broken?: boolean): void;
}

export interface SqlPool {
  readonly dialect: SqlDialect;
  acquire(): Promise<PooledSqlConnection>;
}

/** What pg's `Client` and `PoolClient` offer. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null; rows: unknown[] }>;
}

/** What pg's `Pool` offers. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike & { release(err?: Error | boolean): void }>;
}

/** What mysql2/promise's `Connection` and `PoolConnection` offer. */
export interface MysqlConnectionLike {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
}

/** What mysql2/promise's `Pool` offers. */
export interface MysqlPoolLike {
  getConnection(): Promise<MysqlConnectionLike & { release(): void; destroy(): void }>;
}

/** `?` → `$1, $2, ...` (dtm's GetPlaceHoldSQL); statements here never hold a literal `?`. */
export function pgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A pg `Client` or `PoolClient` as a SqlConnection. */
export function pgConnection(client: PgClientLike): SqlConnection {
  return {
    dialect: 'postgres',
    raw: client,
    async exec(sql, params = []) {
      return (await client.query(pgPlaceholders(sql), [...params])).rowCount ?? 0;
    },
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(pgPlaceholders(sql), [...params])).rows as T[];
    },
  };
}

/** A mysql2/promise `Connection` or `PoolConnection` as a SqlConnection. */
export function mysqlConnection(conn: MysqlConnectionLike): SqlConnection {
  return {
    dialect: 'mysql',
    raw: conn,
    async exec(sql, params = []) {
      const [result] = await conn.query(sql, [...params]);
      return (result as { affectedRows?: number }).affectedRows ?? 0;
    },
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const [rows] = await conn.query(sql, [...params]);
      return rows as T[];
    },
  };
}

/** A pg `Pool` as a SqlPool. */
export function pgPool(pool: PgPoolLike): SqlPool {
  return {
    dialect: 'postgres',
    async acquire() {
      const client = await pool.connect();
      return { ...pgConnection(client), release: (broken = false) => client.release(broken) };
    },
  };
}

/** A mysql2/promise `Pool` as a SqlPool. */
export function mysqlPool(pool: MysqlPoolLike): SqlPool {
  return {
    dialect: 'mysql',
    async acquire() {
      const conn = await pool.getConnection();
      return { ...mysqlConnection(conn), release: (broken = false) => (broken ? conn.destroy() : conn.release()) };
    },
  };
}

/** Statements that open, commit and roll back a local transaction. */
export const BEGIN_SQL: Readonly<Record<SqlDialect, string>> = Object.freeze({ postgres: 'begin', mysql: 'start transaction' });
