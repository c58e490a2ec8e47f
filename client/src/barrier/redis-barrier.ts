import { DtmDuplicated, DtmFailure } from '../errors.js';
import { MSG_BARRIER, ORIGIN_OP, type BranchBarrier } from './branch-barrier.js';

/** What ioredis's `Redis` (and `Cluster`) offer: `eval(script, numKeys, ...keysAndArgs)`. */
export interface RedisLike {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

// KEYS[1] the amount key, KEYS[2] this op's barrier key, KEYS[3] the origin op's barrier key.
// ARGV[1] the amount (negative to take), ARGV[2] the origin op ('' for try/action/msg), ARGV[3] expiry s.
// Same rules as dtm's RedisCheckAdjustAmount: the balance check comes first, then the barrier.
const CHECK_ADJUST = `
local v = redis.call('GET', KEYS[1])
if v == false or tonumber(v) + tonumber(ARGV[1]) < 0 then
  return 'FAILURE'
end
if redis.call('GET', KEYS[2]) ~= false then
  return 'DUPLICATE'
end
redis.call('SET', KEYS[2], 'op', 'EX', ARGV[3])
if ARGV[2] ~= '' then
  if redis.call('GET', KEYS[3]) == false then
    redis.call('SET', KEYS[3], 'rollback', 'EX', ARGV[3])
    return 'EMPTY'
  end
end
redis.call('INCRBY', KEYS[1], ARGV[1])
return 'OK'
`;

// KEYS[1] the msg barrier key; ARGV[1] expiry s. dtm's RedisQueryPrepared.
const QUERY_PREPARED = `
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], 'rollback', 'EX', ARGV[1])
  v = 'rollback'
end
if v == 'rollback' then
  return 'FAILURE'
end
return 'OK'
`;

/** dtm's Redis barrier key: `<gid>-<branch_id>-<op>-<barrier_id>`. */
export function redisBarrierKey(gid: string, branchId: string, op: string, barrierId: string): string {
  return `${gid}-${branchId}-${op}-${barrierId}`;
}

/** Outcome of {@link redisCheckAdjustAmount}: the amount moved, or why not (duplicate, hanging, empty compensation). */
export type RedisAdjustOutcome = 'adjusted' | 'duplicate' | 'empty-compensation';

/**
 * dtm's Redis barrier (RedisCheckAdjustAmount), atomically in one Lua script: adds `amount` to the
 * integer at `key` under the barrier of `barrier`'s branch call. A balance that is missing or would
 * go below 0 throws DtmFailure; a duplicate or hanging call changes nothing; an empty compensation
 * (cancel/compensate/rollback before its try/action) records itself and changes nothing. For msg
 * `doAndSubmit` (op `msg`) a duplicate throws DtmDuplicated. Barrier keys expire after
 * `expireSeconds` (default one day).
 */
export async function redisCheckAdjustAmount(redis: RedisLike, barrier: BranchBarrier, key: string, amount: number, expireSeconds = 86_400): Promise<RedisAdjustOutcome> {
  if (!Number.isSafeInteger(amount)) throw new TypeError(`amount must be an integer (got ${amount})`);
  const bid = barrier.nextBarrierId();
  const { gid, branch_id: branchId, op } = barrier.ctx;
  const originOp = ORIGIN_OP[op] ?? '';
  const keys = [key, redisBarrierKey(gid, branchId, op, bid), redisBarrierKey(gid, branchId, originOp, bid)];
  const v = await redis.eval(CHECK_ADJUST, 3, ...keys, amount, originOp, expireSeconds);
  if (v === 'FAILURE') throw new DtmFailure(`balance at ${key} is missing or below ${-amount}: FAILURE`);
  if (v === 'DUPLICATE') {
    if (op === MSG_BARRIER.op) throw new DtmDuplicated(`msg barrier of ${gid} exists: DUPLICATED`);
    return 'duplicate';
  }
  return v === 'EMPTY' ? 'empty-compensation' : 'adjusted';
}

/**
 * The msg query-back check on Redis (dtm's RedisQueryPrepared): resolves when `doAndSubmit`'s
 * business ran (its `00`/`msg` key exists); otherwise writes the key as `rollback`, so that the
 * business can never run later, and throws DtmFailure.
 */
export async function redisQueryPrepared(redis: RedisLike, gid: string, expireSeconds = 86_400): Promise<void> {
  const key = redisBarrierKey(gid, MSG_BARRIER.branchId, MSG_BARRIER.op, MSG_BARRIER.barrierId);
  const v = await redis.eval(QUERY_PREPARED, 1, key, expireSeconds);
  if (v === 'FAILURE') throw new DtmFailure(`msg ${gid} was rolled back: FAILURE`);
}
