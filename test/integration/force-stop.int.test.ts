import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { BranchServer, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, query, saga, waitFor, waitStatus } from '../support/dtm-client.js';

/**
 * forceStop wins (hardening issue): once TransForceStopped is durable, no branch call of that
 * transaction starts. Calls waiting for a pooled connection (the invoker keeps at most 64 per
 * origin) are the ones that used to start late; they must be dropped.
 */
const HELD = 64;
const QUEUED = 24;
let dtx: DtxProcess;
let branches: BranchServer;
let release: () => void = () => undefined;
const released = new Promise<void>((r) => (release = r));

beforeAll(async () => {
  branches = await BranchServer.start();
  branches.on('/hold', async () => {
    await released;
    return SUCCESS;
  });
  dtx = await startDtx();
});
afterAll(async () => {
  release();
  await dtx?.kill();
  await branches?.close();
});

describe('forceStop', () => {
  it('no call of a transaction starts after its forceStop is answered', { timeout: 90_000 }, async () => {
    const gids = Array.from({ length: HELD + QUEUED }, (_, i) => gidOf(`fs${i}`));
    const steps = [{ action: branches.url('/hold'), compensate: branches.url('/compensate') }];
    for (const gid of gids) expect((await post(dtx.api, 'submit', saga(gid, steps, { timeout_to_fail: 600, request_timeout: 120 }))).status).toBe(200);
    await waitFor(async () => branches.callsTo('/hold').length, (n) => n === HELD, 30_000, `${HELD} held calls`);

    const stoppedAt = new Map<string, number>();

    await Promise.all(gids.map(async (gid) => {
      const r = await post(dtx.api, 'forceStop', { gid });
      expect(r.status).toBe(200);
      stoppedAt.set(gid, Date.now());
    }));
    // calls already sent run to their end; none of the queued ones was sent
    expect(branches.callsTo('/hold')).toHaveLength(HELD);
    release();

    // the pool is FIFO per origin: a later call that arrives proves the queue ahead of it is gone
    const sentinel = gidOf('sentinel');
    expect((await post(dtx.api, 'submit', saga(sentinel, [{ action: branches.url('/hold'), compensate: '' }]))).status).toBe(200);
    await waitStatus(dtx.api, sentinel, 'succeed', 30_000);

    const late = branches.calls.filter((c) => stoppedAt.has(c.query.gid ?? '') && c.at > stoppedAt.get(c.query.gid!)!);
    expect(late.map((c) => `${c.query.gid} ${c.path} ${c.at - stoppedAt.get(c.query.gid!)!} ms after its forceStop`)).toEqual([]);
    expect(branches.callsTo('/hold').filter((c) => c.query.gid !== sentinel)).toHaveLength(HELD);
    expect(branches.callsTo('/compensate')).toHaveLength(0);
    for (const gid of [gids[0]!, gids[HELD]!]) expect((await query(dtx.api, gid)).transaction?.status).toBe('failed');
  });
});
