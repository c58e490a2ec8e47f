import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, saga, waitFor } from '../support/dtm-client.js';
import { waitAllStatus } from './kafka-test-kit.js';
import { freshPrefix, ownedBy, startWorker, stopWorkers, takeoversOf, waitOwnership } from '../support/kafka-workers.js';

/**
 * A worker joining the group takes partitions over while submissions keep flowing. kafkajs
 * rebalances eagerly; partitions that stay with the first worker must not be rebuilt (one
 * takeover each), and every saga submitted around the rebalance finishes.
 */
const PARTITIONS = 6;
const prefix = freshPrefix('join');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess | undefined;

beforeAll(async () => {
  bs = await BranchServer.start();
  a = await startWorker({ prefix, partitions: PARTITIONS });
  await waitOwnership([a], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
});

/** The partitions `w` logged a takeover of, once it logged at least `min`. */
const takeovers = async (w: DtxProcess, min: number): Promise<number[]> => (await takeoversOf(w, min)).map((t) => t.partition).sort((x, y) => x - y);

describe('a joining worker', () => {
  it('takes partitions over while throughput keeps flowing', async () => {
    const steps = [1, 2].map((i) => ({ action: bs.url(`/j/a${i}`), compensate: bs.url(`/j/c${i}`) }));
    const accepted: Array<{ gid: string; at: number }> = [];
    const failures: string[] = [];
    let running = true;
    // Steady load through A (8 concurrent submitters) for the whole test.
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (running) {
          const gid = gidOf('join');
          try {
            const res = await fetch(`${a.api}/submit`, { method: 'POST', body: JSON.stringify(saga(gid, steps)) });
            const text = await res.text();
            if (res.status === 200) accepted.push({ gid, at: Date.now() });
            else failures.push(`${res.status} ${text}`);
          } catch (err) {
            failures.push(String(err));
            running = false;
          }
        }
      }),
    );
    // Bounds on throughput are generous: on a loaded 2-core machine one worker does ~10 sagas/s.
    await waitFor(() => Promise.resolve(accepted.length), (n) => n >= 200, 60_000, 'load to be flowing');

    const joinedAt = Date.now();
    b = await startWorker({ prefix, partitions: PARTITIONS });
    await waitFor(() => ownedBy(b!), (owned) => owned.length > 0, 60_000, 'B to own a partition');
    const split = await waitOwnership([a, b], PARTITIONS, 60_000);
    const settledAt = Date.now();
    expect(split[1]!.length).toBeGreaterThan(0);
    expect(split[0]!.length).toBeGreaterThan(0);
    // keep the load on after the rebalance, then stop it
    const afterSettle = accepted.length;
    await waitFor(() => Promise.resolve(accepted.length), (n) => n >= afterSettle + 200, 60_000, 'load after the rebalance');
    running = false;
    await load;

    const during = accepted.filter((x) => x.at >= joinedAt && x.at <= settledAt).length;
    expect(during).toBeGreaterThan(0); // submissions were accepted while the group rebalanced
    expect(failures).toEqual([]);
    // A took every partition over once at start and never rebuilt the ones it kept.
    expect(await takeovers(a, PARTITIONS)).toEqual([0, 1, 2, 3, 4, 5]);
    const ofB = await ownedBy(b!);
    expect(await takeovers(b!, ofB.length)).toEqual(ofB);

    await waitAllStatus([a, b!], accepted.map((x) => x.gid), 'succeed', 60_000);
  });
});
