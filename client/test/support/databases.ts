import mysql from 'mysql2/promise';
import pg from 'pg';
import { ensureBarrierTable, mysqlPool, pgPool, type SqlConnection, type SqlPool } from '../../src/index.js';
import { TEST_PG } from '../../../test/support/postgres-global-setup.js';
import { TEST_MYSQL } from './mysql-global-setup.js';

/** A SqlPool on a real test database plus how to end it. */
export interface TestDatabase {
  readonly name: 'postgres' | 'mysql';
  readonly pool: SqlPool;
  /** Runs `fn` on a pooled connection. */
  with<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

const hostPort = (hp: string) => {
  const [host = '127.0.0.1', port = '0'] = hp.split(':');
  return { host, port: Number(port) };
};

/** The PostgreSQL of scripts/postgres-local.sh (user dtx, database dtx_test), with dtm's barrier table. */
export async function openPostgres(max = 20): Promise<TestDatabase> {
  const raw = new pg.Pool({ ...hostPort(TEST_PG), user: 'dtx', database: 'dtx_test', max });
  return finish('postgres', pgPool(raw), () => raw.end());
}

/** The MariaDB of scripts/mysql-local.sh (user dtx, database dtx_test), with dtm's barrier table. */
export async function openMysql(max = 20): Promise<TestDatabase> {
  const raw = mysql.createPool({ ...hostPort(TEST_MYSQL), user: 'dtx', database: 'dtx_test', connectionLimit: max, supportBigNumbers: true });
  return finish('mysql', mysqlPool(raw), () => raw.end());
}

async function finish(name: 'postgres' | 'mysql', pool: SqlPool, end: () => Promise<void>): Promise<TestDatabase> {
  const db: TestDatabase = {
    name,
    pool,
    async with(fn) {
      const conn = await pool.acquire();
      try {
        return await fn(conn);
      } finally {
        conn.release();
      }
    },
    end,
  };
  // concurrent test files may create it at once: a lost race is fine when the table is there after it
  await db.with((c) => ensureBarrierTable(c)).catch(async (err: unknown) => {
    await db.with((c) => c.query('select count(*) from dtm_barrier.barrier')).catch(() => {
      throw err;
    });
  });
  return db;
}

let tables = 0;
/** A table name unique to this process and call (tests never share tables). */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${++tables}`;
}
