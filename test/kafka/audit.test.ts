import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer, FAILURE } from '../support/branch-server.js';
import { gidOf, post, query, saga } from '../support/dtm-client.js';
import { TEST_KAFKA_BROKER_LIST, TEST_KAFKA_BROKERS } from '../support/kafka-broker.js';
import { runDtx, type CliRun } from '../support/dtx-cli.js';
import { freshPrefix, startWorker, stopWorkers, waitOwnership } from '../support/kafka-workers.js';
import { partitionOf } from '../../src/log/gid-partitioner.js';

const PARTITIONS = 3;
const prefix = freshPrefix('audit');

/** `dtx replay` on Store.Driver kafka: it audits the events topic itself, not a worker's replica. */
function replay(args: string[]): Promise<CliRun> {
  return runDtx(['replay', ...args], { STORE_DRIVER: 'kafka', STORE_KAFKA_BROKERS: TEST_KAFKA_BROKERS, STORE_KAFKA_PREFIX: prefix, STORE_PARTITIONS: String(PARTITIONS) }, 300_000);
}

let worker: DtxProcess;
let bs: BranchServer;
const ok = Array.from({ length: 5 }, () => gidOf('aud-ok'));
const bad = gidOf('aud-rb');

beforeAll(async () => {
  bs = await BranchServer.start();
  bs.on('/ak/b2', FAILURE);
  worker = await startWorker({ prefix, partitions: PARTITIONS });
  await waitOwnership([worker], PARTITIONS);
  const steps = (p: string) => [{ action: bs.url(`/ak/${p}1`), compensate: bs.url('/ak/c1') }, { action: bs.url(`/ak/${p}2`), compensate: bs.url('/ak/c2') }];
  for (const g of ok) await post(worker.api, 'submit', saga(g, steps('a'), { wait_result: true }));
  await post(worker.api, 'submit', saga(bad, steps('b'), { wait_result: true }));
});

afterAll(async () => {
  await stopWorkers(worker);
  await bs?.close();
});

describe('audit replay on the Kafka log', () => {
  it('verifies every transaction of the topic and renders one timeline', async () => {
    expect((await query(worker.api, bad)).transaction?.status).toBe('failed');
    // --threads 2: a worker process reads the throwaway replica's file (one: 6 transactions are one range)
    for (const [args, how] of [[['--all'], 'one thread'], [['--all', '--threads', '2'], '1 worker process']] as const) {
      const all = await replay([...args]);
      expect(all.stdout).toContain(`audited ${ok.length + 1} transactions`);
      expect(all.stdout).toContain(`events/s, ${how})`);
      expect(all.stdout).toContain(`verified ${ok.length + 1}, divergent 0, failed 0`);
      expect(all.code).toBe(0);
    }
    const one = await replay([bad]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('BranchFailed');
    expect((await replay(['no-such-gid'])).code).toBe(3);
  });

  it('reports a projection row that disagrees with the events (exit 1)', async () => {
    // A forged summary-only record (as a buggy or hostile writer would leave): the fold disagrees.
    const kafka = new Kafka({ clientId: 'forger', brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const victim = ok[0]!;
    const forged = { gid: victim, transType: 'saga', status: 'failed', createTime: 1, updateTime: 2, finished: true, view: '{}' };
    await producer.send({ topic: `${prefix}.events`, messages: [{ key: victim, value: null, partition: partitionOf(victim, PARTITIONS), headers: { 'dtx-summary': JSON.stringify(forged) } }] });
    await producer.disconnect();
    for (const args of [['--all'], ['--all', '--threads', '2']]) {
      const all = await replay(args);
      expect(all.code).toBe(1);
      expect(all.stdout).toContain(`DIVERGENCE ${victim}`);
      expect(all.stdout).toContain('divergent 1');
    }
  });
});
