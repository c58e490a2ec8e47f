import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { get, gidOf, post, waitStatus } from '../support/dtm-client.js';
import { freshPrefix, startWorker, stopWorkers, waitSpread } from '../support/kafka-workers.js';

/**
 * A subscription acknowledged by one worker is seen by the next msg on any worker (docs/topics.md,
 * "Consistency across Kafka workers"): the fan-out reads a topic strongly, after the worker's
 * replica holds everything committed to the topic's partition. Two workers, each owning one
 * partition; every subscribe goes through one worker and the msg right after it through the other,
 * so about half the topics live in a partition the msg's worker does not own. The race this pins:
 * a commit is acknowledged when EndTxn returns, before its markers move the partition's last stable
 * offset, which is the end a reader waits for (partition-ends.ts). Without the writer's wait for
 * stability, 2 of 6 runs of 16 rounds failed with `topic not found`.
 */
const PARTITIONS = 2;
const ROUNDS = 32;
const prefix = freshPrefix('topic-reads');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess;

beforeAll(async () => {
  bs = await BranchServer.start();
  [a, b] = await Promise.all([startWorker({ prefix, partitions: PARTITIONS }), startWorker({ prefix, partitions: PARTITIONS })]);
  await waitSpread([a, b], PARTITIONS);
}, 120_000);

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
});

const topicOf = (i: number) => `tr_${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_${i}`;
const msg = (gid: string, topic: string) => ({ gid, trans_type: 'msg', steps: [{ action: `topic://${topic}` }], payloads: ['{}'], query_prepared: bs.url('/qp') });

describe('topic reads across Kafka workers', () => {
  it('a msg submitted right after a subscribe on another worker calls the new subscriber', async () => {
    for (let i = 0; i < ROUNDS; i += 1) {
      const [via, then] = i % 2 === 0 ? [a, b] : [b, a];
      const topic = topicOf(i);
      const url = bs.url(`/tr/${i}`);
      const sub = await get(via.api, `subscribe?${new URLSearchParams({ topic, url, remark: 'r' }).toString()}`);
      expect(sub.status).toBe(200);
      const gid = gidOf('tr');
      const submitted = await post(then.api, 'submit', msg(gid, topic));
      expect(submitted.status, `round ${i}: ${submitted.text}`).toBe(200);
      const done = await waitStatus(then.api, gid, 'succeed');
      expect(done.branches.map((r) => r.url), `round ${i}`).toEqual([url]);
    }
  });
});
