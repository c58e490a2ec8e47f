import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, SUCCESS } from '../support/branch-server.js';
import { gidOf, saga } from '../support/dtm-client.js';
import { freshPrefix, readTopic, startWorker, stopWorkers, waitOwnership, waitSpread } from '../support/kafka-workers.js';
import { eventsByGid, expectContiguous, submitAll, waitAllStatus } from './kafka-test-kit.js';

/**
 * DESIGN §4 on a real broker: three worker processes share 12 partitions; 2,000 sagas with real
 * HTTP branches are submitted through all three; one worker is SIGKILLed mid-run. Every saga must
 * finish, every transaction's events must be 1..n without a duplicate, and no branch whose success
 * was durable may be called again.
 */
const PARTITIONS = 12;
const SAGAS = 2000;
const prefix = freshPrefix('scale');
let bs: BranchServer;
const workers: DtxProcess[] = [];

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/s/a1', { ...SUCCESS, delayMs: 15 }).on('/s/a2', { ...SUCCESS, delayMs: 15 });
  // frequent snapshots: the takeover after the kill starts from them
  for (let i = 0; i < 3; i += 1) workers.push(await startWorker({ prefix, partitions: PARTITIONS, env: { STORE_SNAPSHOT_EVERY: '50' } }));
  await waitSpread(workers, PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(...workers);
  await bs?.close();
});

describe('three workers, one SIGKILLed mid-run', () => {
  it('finishes all 2,000 sagas with contiguous events and no re-call of a durable success', async () => {
    const steps = [1, 2].map((i) => ({ action: bs.url(`/s/a${i}`), compensate: bs.url(`/s/c${i}`) }));
    const gids = Array.from({ length: SAGAS }, () => gidOf('scale'));
    const victim = workers[1]!;
    const before = await waitSpread(workers, PARTITIONS);
    let killedAt = 0;
    const alive = new Set(workers);
    const submitted = await submitAll(gids, (gid) => saga(gid, steps), () => [...alive], async (done) => {
      if (done === 700 && killedAt === 0) {
        killedAt = Date.now();
        alive.delete(victim);
        await victim.kill('SIGKILL');
      }
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(submitted.rejected).toEqual([]);
    expect(submitted.throughEach.every((n) => n > 0)).toBe(true); // all three took submissions

    const survivors = workers.filter((w) => w !== victim);
    const after = await waitOwnership(survivors, PARTITIONS);
    expect(before[1]!.length).toBeGreaterThan(0);
    for (const p of before[1]!) expect(after.flat()).toContain(p); // the victim's partitions moved

    // every saga finishes (queried through the survivors, which ask each partition's owner)
    await waitAllStatus(survivors, gids, 'succeed', 90_000);
    const byGid = eventsByGid(await readTopic(`${prefix}.events`));
    expectContiguous(byGid, gids, 3); // created + two branch successes
    // No action is called after its success was recorded (the event's `at` precedes its commit).
    const recalled: string[] = [];
    for (const [gid, events] of byGid) {
      for (const e of events.filter((x) => x.type === 'BranchSucceeded')) {
        const d = e.data as { branchId: string; op: string };
        const later = bs.calls.filter((c) => c.query.gid === gid && c.query.branch_id === d.branchId && c.query.op === d.op && c.at > e.at);
        if (later.length > 0) recalled.push(`${gid}/${d.branchId}/${d.op}`);
      }
    }
    expect(recalled).toEqual([]);
    expect(bs.calls.filter((c) => c.path.startsWith('/s/c'))).toEqual([]);
    expect(bs.calls.some((c) => c.at > killedAt)).toBe(true);
  });
});
