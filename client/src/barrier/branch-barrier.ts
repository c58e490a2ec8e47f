import { DtmDuplicated, DtmFailure } from '../errors.js';
import { BEGIN_SQL, type SqlConnection, type SqlPool } from '../sql-connection.js';
import { requireBranchContext, type BranchContext } from '../branch-context.js';

/** dtm's default barrier table (`dtm_barrier.barrier`, see barrier-table.ts). */
export const DEFAULT_BARRIER_TABLE = 'dtm_barrier.barrier';

/** The op whose row a compensation-like op looks for: an empty compensation when it is absent. */
export const ORIGIN_OP: Readonly<Record<string, string>> = Object.freeze({ cancel: 'try', compensate: 'action', rollback: 'action' });

/** Branch id, op and barrier id of the msg `doAndSubmit` barrier (dtm's MsgDoBranch0, MsgDoOp, MsgDoBarrier1). */
export const MSG_BARRIER = Object.freeze({ branchId: '00', op: 'msg', barrierId: '01' });

/**
 * dtm's branch barrier (https://en.dtm.pub/practice/barrier.html) on a SQL database: a branch
 * handler's business runs in one local transaction with the insert of a row keyed by (gid,
 * branch_id, op, barrier_id), so that
 *
 * - a duplicate request finds its row and does nothing (the business runs once);
 * - an empty compensation (cancel/compensate/rollback before its try/action ever ran) inserts the
 *   try/action row itself and does nothing;
 * - a hanging try/action (arriving after its compensation) finds that row and does nothing.
 *
 * The barrier ids count the calls of one barrier object (`01`, `02`, ...): build one per request.
 */
export class BranchBarrier {
  #barrierId = 0;

  constructor(
    readonly ctx: Pick<BranchContext, 'gid' | 'trans_type' | 'branch_id' | 'op'>,
    readonly tableName = DEFAULT_BARRIER_TABLE,
  ) {
    requireBranchContext({ dtm: '', phase2_url: '', ...ctx });
  }

  /** The barrier of the branch call described by `ctx` (see handlers). */
  static from(ctx: Pick<BranchContext, 'gid' | 'trans_type' | 'branch_id' | 'op'>, tableName?: string): BranchBarrier {
    return new BranchBarrier(ctx, tableName);
  }

  /** The next barrier id of this object, `01`, `02`, ... (several barriers in one branch handler). */
  nextBarrierId(): string {
    this.#barrierId += 1;
    return String(this.#barrierId).padStart(2, '0');
  }

  /**
   * Runs `business` under the barrier in one local transaction on `conn`: `begin`, the barrier
   * inserts, `business(conn)` (skipped for a duplicate, empty or hanging call), then `commit`, or
   * `rollback` when anything threw (the error is rethrown). For msg `doAndSubmit` (op `msg`) a row
   * that exists already is DtmDuplicated.
   */
  async call(conn: SqlConnection, business: (conn: SqlConnection) => Promise<void>): Promise<void> {
    const bid = this.nextBarrierId();
    const { gid, branch_id: branchId, op, trans_type: transType } = this.ctx;
    await conn.exec(BEGIN_SQL[conn.dialect]);
    try {
      const originOp = ORIGIN_OP[op];
      const originAffected = originOp ? await insertBarrier(conn, this.tableName, [transType, gid, branchId, originOp, bid, op]) : 0;
      const currentAffected = await insertBarrier(conn, this.tableName, [transType, gid, branchId, op, bid, op]);
      if (op === MSG_BARRIER.op && currentAffected === 0) throw new DtmDuplicated(`msg barrier of ${gid} exists: DUPLICATED`);
      const emptyCompensation = originOp !== undefined && originAffected > 0;
      if (!emptyCompensation && currentAffected > 0) await business(conn);
    } catch (err) {
      await conn.exec('rollback').catch((rollbackErr: unknown) => {
        throw new AggregateError([err, rollbackErr], `barrier ${gid}/${branchId}/${op}: the business failed and so did the rollback`);
      });
      throw err;
    }
    await conn.exec('commit');
  }

  /** {@link call} on a connection taken from `pool` (dtm's CallWithDB). */
  async callWithPool(pool: SqlPool, business: (conn: SqlConnection) => Promise<void>): Promise<void> {
    const conn = await pool.acquire();
    let broken = false;
    try {
      await this.call(conn, business);
    } catch (err) {
      broken = err instanceof AggregateError;
      throw err;
    } finally {
      conn.release(broken);
    }
  }

  /**
   * The msg query-back check (dtm's QueryPrepared): inserts the `00`/`msg` row with reason
   * `rollback` unless `doAndSubmit`'s local transaction inserted it, then reads the row. Resolves
   * (SUCCESS: the local transaction committed) or throws DtmFailure (it never did, and now never will).
   */
  async queryPrepared(pool: SqlPool): Promise<void> {
    const conn = await pool.acquire();
    try {
      const { gid, trans_type: transType } = this.ctx;
      const key = [gid, MSG_BARRIER.branchId, MSG_BARRIER.op, MSG_BARRIER.barrierId];
      await insertBarrier(conn, this.tableName, [transType, ...key, 'rollback']);
      const rows = await conn.query<{ reason: string }>(`select reason from ${this.tableName} where gid=? and branch_id=? and op=? and barrier_id=?`, key);
      if (rows[0]?.reason === 'rollback') throw new DtmFailure(`msg ${gid} was rolled back: FAILURE`);
    } finally {
      conn.release();
    }
  }
}

/** dtm's InsertBarrier: an insert that ignores a duplicate key; resolves with the affected row count. */
export function insertBarrier(conn: SqlConnection, table: string, values: readonly string[]): Promise<number> {
  const cols = `${table}(trans_type, gid, branch_id, op, barrier_id, reason) values(?,?,?,?,?,?)`;
  const sql = conn.dialect === 'postgres' ? `insert into ${cols} on conflict (gid, branch_id, op, barrier_id) do nothing` : `insert ignore into ${cols}`;
  return conn.exec(sql, values);
}
