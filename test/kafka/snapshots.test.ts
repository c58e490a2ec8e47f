import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, ONGOING, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor } from '../support/dtm-client.js';
import { freshPrefix, readTopic, startWorker, stopWorkers, takeoversOf, waitOwnership } from '../support/kafka-workers.js';
import { eventsByGid, expectContiguous, waitAllStatus } from './kafka-test-kit.js';

/**
 * Snapshots and bounded recovery (DESIGN §4): a worker snapshots its live transactions to
 * `<prefix>.snapshots`; after it is SIGKILLed, a worker on an empty disk takes over from those
 * snapshots, folds only the events after them, and finishes every saga.
 */
const PARTITIONS = 2;
const prefix = freshPrefix('snap');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess | undefined;
let pending = true;

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/n/a1', () => (pending ? ONGOING : SUCCESS));
  a = await startWorker({ prefix, partitions: PARTITIONS, env: { STORE_SNAPSHOT_EVERY: '1' } });
  await waitOwnership([a], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
});

describe('snapshot + tail recovery', () => {
  it('takes over from snapshots after SIGKILL and folds only the tail', async () => {
    const steps = [{ action: bs.url('/n/a1'), compensate: bs.url('/n/c1') }];
    const gids = Array.from({ length: 10 }, () => gidOf('snap'));
    for (const gid of gids) expect((await post(a.api, 'submit', saga(gid, steps, { retry_interval: 1 }))).status).toBe(200);
    // each saga has been answered ONGOING a few times: several events per transaction
    await waitFor(() => Promise.resolve(gids.every((g) => bs.callsTo('/n/a1', g).length >= 3)), (ok) => ok, 30_000, 'three ONGOING answers per saga');
    const snapshots = await readTopic(`${prefix}.snapshots`);
    expect(snapshots.some((r) => r.key === '')).toBe(true); // at least one marker was committed
    await a.kill('SIGKILL');

    b = await startWorker({ prefix, partitions: PARTITIONS });
    await waitOwnership([b], PARTITIONS);
    const takeovers = await takeoversOf(b, PARTITIONS);
    expect(takeovers.reduce((n, t) => n + t.transactions, 0)).toBe(gids.length);
    // snapshots stood for part of the history: fewer events were folded than recovered
    expect(takeovers.reduce((n, t) => n + t.folded, 0)).toBeLessThan(takeovers.reduce((n, t) => n + t.events, 0));

    pending = false;
    await waitAllStatus([b], gids, 'succeed', 30_000);
    expectContiguous(eventsByGid(await readTopic(`${prefix}.events`)), gids);
  });
});
