import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitStatus } from '../support/dtm-client.js';
import { freshPrefix, startWorker, stopWorkers, waitOwnership, waitSpread } from '../support/kafka-workers.js';
import { partitionOf } from '../../src/log/gid-partitioner.js';

/**
 * While a partition's owner does not answer (here: frozen, not yet past its session timeout), an
 * ingress on another worker answers a clear, retryable 503 DTX_NO_OWNER naming the partition,
 * after `Store.KafkaReplyTimeout`. The command itself is not lost: it is decided once the owner
 * runs again.
 */
const PARTITIONS = 4;
const prefix = freshPrefix('noowner');
let bs: BranchServer;
let a: DtxProcess;
let b: DtxProcess;

beforeAll(async () => {
  bs = await BranchServer.start();
  const env = { STORE_KAFKA_REPLY_TIMEOUT: '2' };
  a = await startWorker({ prefix, partitions: PARTITIONS, sessionTimeout: 60, env });
  await waitOwnership([a], PARTITIONS);
  b = await startWorker({ prefix, partitions: PARTITIONS, sessionTimeout: 60, env });
});

afterAll(async () => {
  await stopWorkers(a, b);
  await bs?.close();
});

describe('a partition without a live owner', () => {
  it('answers 503 DTX_NO_OWNER in time and still decides the command later', async () => {
    const [, ofB] = await waitSpread([a, b], PARTITIONS);
    expect(ofB!.length).toBeGreaterThan(0);
    let gid = gidOf('noowner');
    while (!ofB!.includes(partitionOf(gid, PARTITIONS))) gid = gidOf('noowner');

    b.proc.kill('SIGSTOP');
    const t0 = Date.now();
    const res = await post(a.api, 'submit', saga(gid, [{ action: bs.url('/no/a1'), compensate: bs.url('/no/c1') }]));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('DTX_NO_OWNER');
    expect(String(res.body.message)).toContain(`partition ${partitionOf(gid, PARTITIONS)}`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);

    b.proc.kill('SIGCONT');
    await waitStatus(a.api, gid, 'succeed', 30_000);
    expect(bs.callsTo('/no/a1', gid)).toHaveLength(1);

    const metrics = await (await fetch(`http://127.0.0.1:${b.port}/api/metrics`)).text();
    for (const name of ['dtx_partitions_owned', 'dtx_partition_owned', 'dtx_kafka_consumer_lag', 'dtx_kafka_command_batch_count', 'dtx_partition_recovery_seconds', 'dtx_log_append_seconds_count']) {
      expect(metrics, name).toMatch(new RegExp(`^${name}`, 'm'));
    }
  });
});
