import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BranchBarrier, DtmDuplicated, DtmFailure, redisCheckAdjustAmount, redisQueryPrepared } from '../src/index.js';
import { newTestGid } from './support/coordinators.js';
import { TEST_REDIS } from './support/redis-global-setup.js';

// dtx-client's Redis barrier (dtm's RedisCheckAdjustAmount / RedisQueryPrepared) on the real Redis
// of scripts/redis-local.sh.
let redis: Redis;
const [host = '127.0.0.1', port = '0'] = TEST_REDIS.split(':');

beforeAll(() => {
  redis = new Redis({ host, port: Number(port), lazyConnect: false, maxRetriesPerRequest: 3 });
});
afterAll(async () => {
  await redis?.quit();
});

const barrier = (gid: string, op: string, transType = 'saga') => BranchBarrier.from({ gid, trans_type: transType, branch_id: '01', op });
const balance = async (key: string) => Number(await redis.get(key));

describe('Redis barrier', () => {
  it('an action moves the amount once: duplicates (also concurrent) change nothing', async () => {
    const gid = newTestGid('r-dup');
    const key = `acct-${gid}`;
    await redis.set(key, 100);
    const outcomes = await Promise.all([1, 2, 3].map(() => redisCheckAdjustAmount(redis, barrier(gid, 'action'), key, -30)));
    expect(outcomes.sort()).toEqual(['adjusted', 'duplicate', 'duplicate']);
    expect(await balance(key)).toBe(70);
    expect(await redisCheckAdjustAmount(redis, barrier(gid, 'compensate'), key, 30)).toBe('adjusted');
    expect(await redisCheckAdjustAmount(redis, barrier(gid, 'compensate'), key, 30)).toBe('duplicate');
    expect(await balance(key)).toBe(100);
  });

  it('an empty compensation changes nothing, and the late action then hangs', async () => {
    const gid = newTestGid('r-empty');
    const key = `acct-${gid}`;
    await redis.set(key, 100);
    expect(await redisCheckAdjustAmount(redis, barrier(gid, 'cancel', 'tcc'), key, 30)).toBe('empty-compensation');
    expect(await redisCheckAdjustAmount(redis, barrier(gid, 'try', 'tcc'), key, -30)).toBe('duplicate');
    expect(await balance(key)).toBe(100);
  });

  it('a missing balance or one that would go below 0 is FAILURE and changes nothing', async () => {
    const gid = newTestGid('r-funds');
    const key = `acct-${gid}`;
    await redis.set(key, 10);
    await expect(redisCheckAdjustAmount(redis, barrier(gid, 'action'), key, -30)).rejects.toBeInstanceOf(DtmFailure);
    await expect(redisCheckAdjustAmount(redis, barrier(gid, 'action'), `missing-${gid}`, 5)).rejects.toBeInstanceOf(DtmFailure);
    expect(await balance(key)).toBe(10);
  });

  it('msg: a second doAndSubmit run is DtmDuplicated; queryPrepared answers whether it ran, and blocks it after', async () => {
    const gid = newTestGid('r-msg');
    const key = `acct-${gid}`;
    await redis.set(key, 0);
    const msgBarrier = () => BranchBarrier.from({ gid, trans_type: 'msg', branch_id: '00', op: 'msg' });
    await redisCheckAdjustAmount(redis, msgBarrier(), key, 5);
    await expect(redisCheckAdjustAmount(redis, msgBarrier(), key, 5)).rejects.toBeInstanceOf(DtmDuplicated);
    await redisQueryPrepared(redis, gid);
    const never = newTestGid('r-msg-never');
    await expect(redisQueryPrepared(redis, never)).rejects.toBeInstanceOf(DtmFailure);
    await expect(redisCheckAdjustAmount(redis, BranchBarrier.from({ gid: never, trans_type: 'msg', branch_id: '00', op: 'msg' }), key, 5)).rejects.toBeInstanceOf(DtmDuplicated);
    expect(await balance(key)).toBe(5);
  });

  it('300 concurrent transfers with duplicates and compensations conserve the total', async () => {
    const gid0 = newTestGid('r-many');
    const keys = [0, 1, 2, 3, 4].map((i) => `acct-${gid0}-${i}`);
    // account 0 is poor (its debits soon answer FAILURE) and never credited: dtm's script checks the
    // balance before the barrier, also for compensations, so a credit's compensation needs funds
    await redis.set(keys[0]!, 200);
    for (const k of keys.slice(1)) await redis.set(k, 10_000);
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const gid = `${gid0}-${i}`;
        const [from, to] = [keys[i % 5]!, keys[1 + ((i + 1) % 4)]!];
        const out = (op: string) => redisCheckAdjustAmount(redis, BranchBarrier.from({ gid, trans_type: 'saga', branch_id: '01', op }), from, op === 'action' ? -40 : 40);
        const inn = (op: string) => redisCheckAdjustAmount(redis, BranchBarrier.from({ gid, trans_type: 'saga', branch_id: '02', op }), to, op === 'action' ? 40 : -40);
        try {
          await Promise.all([out('action'), out('action')]);
        } catch (err) {
          if (!(err instanceof DtmFailure)) throw err;
          await out('compensate');
          return false;
        }
        if (i % 4 === 0) {
          await Promise.all([inn('compensate'), out('compensate'), out('compensate')]); // rolled back, credit lost
          await inn('action'); // ... and arriving late
          return false;
        }
        await Promise.all([inn('action'), inn('action')]);
        return true;
      }),
    );
    const total = (await Promise.all(keys.map(balance))).reduce((a, b) => a + b, 0);
    expect(total).toBe(40_200);
    expect(results.filter(Boolean).length).toBeGreaterThan(50);
    expect(results.filter((r) => !r).length).toBeGreaterThan(50);
  });
});
