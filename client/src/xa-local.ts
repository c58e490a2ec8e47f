import { requireBranchContext, type BranchContext } from './branch-context.js';
import { ensureError } from './errors.js';
import { insertBarrier, DEFAULT_BARRIER_TABLE } from './barrier/branch-barrier.js';
import type { SqlConnection, SqlDialect, SqlPool } from './sql-connection.js';
import type { DtmServer } from './transport/dtm-server.js';

/** The XA statements of each database (dtm's GetXaSQL); '' = nothing to run. */
function xaSql(dialect: SqlDialect, command: 'start' | 'end' | 'prepare' | 'abort' | 'commit' | 'rollback', xid: string): string {
  if (!/^[A-Za-z0-9_.~:-]+$/.test(xid)) throw new TypeError(`gid and branch id must be made of [A-Za-z0-9_.~:-] for XA (xid '${xid}')`);
  if (dialect === 'mysql') return `xa ${command === 'abort' ? 'rollback' : command} '${xid}'`;
  return {
    start: 'begin',
    end: '',
    prepare: `prepare transaction '${xid}'`,
    abort: 'rollback',
    commit: `commit prepared '${xid}'`,
    rollback: `rollback prepared '${xid}'`,
  }[command];
}

async function run(conn: SqlConnection, sql: string): Promise<void> {
  if (sql !== '') await conn.exec(sql);
}

/**
 * The branch side of XA (dtm's XaLocalTransaction) for PostgreSQL (needs `max_prepared_transactions`
 * > 0) and MySQL/MariaDB. Call it from the branch handler with the call's context:
 *
 * - op `action`: runs `business(conn)` inside an XA transaction `<gid>-<branch_id>` on a connection
 *   of `pool`, with the barrier row that lets a late rollback wait for it, prepares it and registers
 *   the branch (its `phase2_url`) with the server; any error aborts the XA transaction and is rethrown.
 * - op `commit` / `rollback`: commits or rolls back the prepared XA transaction (already done is fine).
 */
export async function xaLocalTransaction(dtm: DtmServer, ctx: BranchContext, pool: SqlPool, business: (conn: SqlConnection) => Promise<void>): Promise<void> {
  requireBranchContext(ctx);
  const xid = `${ctx.gid}-${ctx.branch_id}`;
  if (ctx.op === 'commit' || ctx.op === 'rollback') return xaPhase2(pool, ctx, xid);
  const conn = await pool.acquire();
  let broken = false;
  try {
    await run(conn, xaSql(pool.dialect, 'start', xid));
    let failure: Error | undefined;
    try {
      await insertBarrier(conn, DEFAULT_BARRIER_TABLE, ['xa', ctx.gid, ctx.branch_id, 'action', '01', 'action']);
      await business(conn);
      await dtm.registerBranch({ fields: { gid: ctx.gid, trans_type: 'xa', branch_id: ctx.branch_id, url: ctx.phase2_url } });
    } catch (thrown) {
      failure = ensureError(thrown);
    }
    await run(conn, xaSql(pool.dialect, 'end', xid));
    if (failure) {
      await run(conn, xaSql(pool.dialect, 'abort', xid)).catch(() => (broken = true));
      throw failure;
    }
    await run(conn, xaSql(pool.dialect, 'prepare', xid));
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    // MySQL keeps a prepared XA transaction attached to its session until the session ends (dtm's
    // SDK opens a connection per XA branch too): never hand that connection to anyone else
    conn.release(broken || pool.dialect === 'mysql');
  }
}

async function xaPhase2(pool: SqlPool, ctx: BranchContext, xid: string): Promise<void> {
  const conn = await pool.acquire();
  try {
    try {
      await run(conn, xaSql(pool.dialect, ctx.op as 'commit' | 'rollback', xid));
    } catch (err) {
      // a repeated commit/rollback of the same xid: already done
      const text = ensureError(err).message;
      if (!text.includes('XAER_NOTA') && !text.includes('does not exist')) throw err;
    }
    // a rollback leaves the barrier row, so that an action still running cannot prepare after it
    if (ctx.op === 'rollback') await insertBarrier(conn, DEFAULT_BARRIER_TABLE, ['xa', ctx.gid, ctx.branch_id, 'action', '01', 'rollback']);
  } finally {
    conn.release();
  }
}
