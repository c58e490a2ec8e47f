import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, SUCCESS } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor } from '../support/dtm-client.js';
import { freshPrefix, readTopic, startWorker, stopWorkers, waitOwnership, waitSpread } from '../support/kafka-workers.js';
import { eventsByGid, expectContiguous, waitAllStatus } from './kafka-test-kit.js';

/**
 * Fencing (DESIGN §2): a worker frozen with SIGSTOP past its session timeout loses its partitions
 * to the other worker, which fences its transactional producers. After SIGCONT the frozen worker
 * still holds its old state and tries to write: none of those writes may become visible
 * (read_committed), and it must drop the partitions.
 */
const PARTITIONS = 4;
const prefix = freshPrefix('fence');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess;

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/f/a1', { ...SUCCESS, delayMs: 1500 });
  a = await startWorker({ prefix, partitions: PARTITIONS });
  await waitOwnership([a], PARTITIONS);
  b = await startWorker({ prefix, partitions: PARTITIONS });
  await waitSpread([a, b], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
});

function writerOf(w: DtxProcess): string {
  const line = w.logs.find((l) => l.includes('"dtx listening"'))!;
  return `dtx-${(JSON.parse(line) as { internal: string }).internal}`;
}

describe('a frozen worker is fenced', () => {
  it('makes none of its writes visible after SIGCONT and drops its partitions', async () => {
    const owned = await waitSpread([a, b], PARTITIONS);
    expect(owned[0]!.length).toBeGreaterThan(0);
    const steps = [{ action: bs.url('/f/a1'), compensate: bs.url('/f/c1') }, { action: bs.url('/f/a2'), compensate: bs.url('/f/c2') }];
    const gids = Array.from({ length: 24 }, () => gidOf('fence'));
    for (const [i, gid] of gids.entries()) expect((await post((i % 2 ? a : b).api, 'submit', saga(gid, steps))).status).toBe(200);
    // A's share of the slow first steps is in flight when it freezes.
    await waitFor(() => Promise.resolve(bs.callsTo('/f/a1').length), (n) => n === gids.length, 20_000, 'all first steps in flight');
    a.proc.kill('SIGSTOP');

    await waitOwnership([b], PARTITIONS, 60_000);
    await waitAllStatus([b], gids, 'succeed', 60_000);

    const resumedAt = Date.now();
    const lostBefore = a.logs.filter((l) => l.includes('partition lost')).length;
    a.proc.kill('SIGCONT');
    // A wakes with its old processors and in-flight answers: its next commit is refused.
    await waitFor(() => Promise.resolve(a.logs.filter((l) => l.includes('partition lost')).length), (n) => n > lostBefore, 30_000, 'A to notice it was fenced');
    const final = await waitOwnership([a, b], PARTITIONS, 60_000);
    expect(final.flat().sort()).toEqual([0, 1, 2, 3]);

    const events = await readTopic(`${prefix}.events`);
    expect(events.some((r) => r.headers['dtx-writer'] === writerOf(a))).toBe(true); // A did write before it froze
    const fromA = events.filter((r) => r.headers['dtx-writer'] === writerOf(a) && r.timestamp >= resumedAt);
    expect(fromA).toEqual([]);
    expectContiguous(eventsByGid(events), gids);
    await waitAllStatus([a, b], gids, 'succeed', 10_000); // still succeed, asked through both workers
  });
});
