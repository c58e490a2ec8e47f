import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { get, gidOf, post, saga } from '../support/dtm-client.js';
import { freshPrefix, startWorker, stopWorkers, waitOwnership } from '../support/kafka-workers.js';

/**
 * `query` is answered by the partition's owner, in order with the writes to that partition:
 * queries racing writes of the same partition always answer 200 with the transaction just
 * submitted (read-your-writes through the owner). The race of a query-only batch with the previous
 * commit is pinned at the adapter level (kafka-event-log.test.ts, "back-to-back").
 */
const PARTITIONS = 1;
const prefix = freshPrefix('query');
let bs: BranchServer;
let w: DtxProcess;

beforeAll(async () => {
  bs = await BranchServer.start();
  w = await startWorker({ prefix, partitions: PARTITIONS });
  await waitOwnership([w], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(w);
  await bs?.close();
});

describe('query through the owner', () => {
  it('answers every query that races writes of its partition', async () => {
    const steps = [{ action: bs.url('/q/a1'), compensate: bs.url('/q/c1') }];
    const answers: Array<{ status: number; known: boolean }> = [];
    // 8 clients, each: submit a saga, then query it while the others keep writing
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i += 1) {
          const gid = gidOf('query');
          expect((await post(w.api, 'submit', saga(gid, steps))).status).toBe(200);
          const [q1, q2] = await Promise.all([get(w.api, `query?gid=${gid}`), get(w.api, `query?gid=${gid}`)]);
          for (const q of [q1, q2]) answers.push({ status: q.status, known: q.body.transaction !== null && q.body.transaction !== undefined });
        }
      }),
    );
    expect(answers).toHaveLength(8 * 25 * 2);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => !a.known)).toEqual([]); // read-your-writes through the owner
  });
});
