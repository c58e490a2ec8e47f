import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor, waitStatus } from '../support/dtm-client.js';
import { TEST_KAFKA_BROKER_LIST } from '../support/kafka-broker.js';
import { freshPrefix, startWorker, stopWorkers, waitOwnership } from '../support/kafka-workers.js';
import { partitionOf } from '../../src/log/gid-partitioner.js';

/**
 * Liveness under eager rebalances: a worker can be fenced on a partition the group still assigns
 * to it (another worker claimed it in a generation this one missed). It must ask the coordinator
 * and take the partition back, or nobody would ever process it again. The foreign claim is made
 * here directly with the partition's transactional id.
 */
const PARTITIONS = 2;
const prefix = freshPrefix('retake');
let bs: BranchServer;
let w: DtxProcess;

beforeAll(async () => {
  bs = await BranchServer.start();
  w = await startWorker({ prefix, partitions: PARTITIONS, env: { STORE_KAFKA_REPLY_TIMEOUT: '2' } });
  await waitOwnership([w], PARTITIONS);
});

afterAll(async () => {
  await stopWorkers(w);
  await bs?.close();
});

describe('a fence on a partition still assigned here', () => {
  it('takes the partition back and keeps processing it', async () => {
    const steps = [{ action: bs.url('/r/a1'), compensate: bs.url('/r/c1') }];
    const inP0 = (): string => {
      let g = gidOf('retake');
      while (partitionOf(g, PARTITIONS) !== 0) g = gidOf('retake');
      return g;
    };
    const first = inP0();
    expect((await post(w.api, 'submit', saga(first, steps))).status).toBe(200);
    await waitStatus(w.api, first, 'succeed');

    // another "owner" claims partition 0: the worker's producer epoch is now stale
    const kafka = new Kafka({ clientId: 'intruder', brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING });
    const intruder = kafka.producer({ transactionalId: `${prefix}-p0`, idempotent: true, maxInFlightRequests: 1 });
    await intruder.connect();
    await (await intruder.transaction()).abort();
    await intruder.disconnect();

    const second = inP0();
    // the first attempt meets the fence (no answer in 2 s: 503); retries succeed once retaken
    const answer = await waitFor(() => post(w.api, 'submit', saga(second, steps)), (r) => r.status === 200, 30_000, 'a submit on partition 0 to be accepted again');
    expect(answer.body.dtm_result).toBe('SUCCESS');
    await waitStatus(w.api, second, 'succeed', 30_000);
    expect(w.logs.some((l) => l.includes('retaking a partition the group still assigns here'))).toBe(true);
  });
});
