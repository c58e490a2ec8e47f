import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor, waitStatus } from '../support/dtm-client.js';
import { freshPrefix, startWorker, tearDown, waitOwnership } from '../support/kafka-workers.js';
import { OwnKafkaBroker } from '../support/own-kafka-broker.js';

/**
 * The one broker of a deployment killed (SIGKILL: a crash, not a clean stop) while a worker
 * serves, and started again on the same data. Meanwhile the worker stays up and answers every
 * submit, refused ones with a retryable 503; once the broker is back it takes its partitions over
 * again by itself, and every saga it acknowledged, before or during the outage, finishes; its
 * replica's consumer crashes while the broker is away and says so once it joins its group again
 * (the Kafka trouble lines' gate, kafka-log-lines.ts). The test
 * broker is shared by every Kafka test, so this one runs its own (TEST_KAFKA_PORT+200).
 */
const broker = new OwnKafkaBroker(200);

const PARTITIONS = 2;
const prefix = freshPrefix('broker-restart');
let bs: BranchServer;
let w: DtxProcess | undefined;

beforeAll(async () => {
  await broker.reset();
  await broker.start();
  bs = await BranchServer.start();
  // a local command's Kafka write waits for the brokers without a bound: the client gets 503 after this
  w = await startWorker({ prefix, partitions: PARTITIONS, env: { STORE_KAFKA_BROKERS: broker.brokers, STORE_KAFKA_REPLY_TIMEOUT: '3' } });
  await waitOwnership([w], PARTITIONS);
});

afterAll(() => tearDown([w], bs, () => broker.reset()));

const twoSteps = (gid: string) => saga(gid, [{ action: bs.url('/br/a'), compensate: bs.url('/br/c') }, { action: bs.url('/br/b'), compensate: bs.url('/br/d') }]);

describe('the broker killed and started again', () => {
  it('keeps the worker up and answering, and finishes every acknowledged saga once the broker is back', async () => {
    const api = w!.api;
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const gid = gidOf('br-before');
      expect((await post(api, 'submit', twoSteps(gid))).status).toBe(200);
      acked.push(gid);
    }

    process.kill(broker.pid(), 'SIGKILL');
    // submits while the broker is away: each is answered, 200 (durable before the kill reached
    // the broker's socket) or a retryable 503 after Store.KafkaReplyTimeout, until three in a row
    // have been refused (a refused one may still be written once the broker is back)
    const refused: Array<{ code: unknown }> = [];
    for (let i = 0; i < 50 && refused.length < 3; i++) {
      const gid = gidOf('br-during');
      const r = await post(api, 'submit', twoSteps(gid));
      expect([200, 503]).toContain(r.status);
      if (r.status === 200) {
        acked.push(gid);
        refused.length = 0;
      } else refused.push({ code: r.body.code });
    }
    expect(refused).toHaveLength(3);
    // the write did not complete, or (once the worker's consumer lost its partitions to the outage,
    // sooner on a busy machine) no owner answered: retryable either way
    for (const r of refused) expect(['DTX_LOG_UNAVAILABLE', 'DTX_NO_OWNER']).toContain(r.code);
    expect(w!.proc.exitCode).toBeNull();
    // the replica's consumer finds no broker and crashes (kafkajs restarts it): a gated error line
    const logged = (text: string) => w!.logs.filter((l) => l.includes(text));
    await waitFor(async () => logged('"replica consumer crashed'), (l) => l.length > 0, 60_000, 'the replica consumer crashing');

    await broker.start();
    await waitOwnership([w!], PARTITIONS, 180_000);
    // once it joins its group again, one info line says so (with what the gate held back)
    await waitFor(async () => logged('replica consumer joined its group again after a crash'), (l) => l.length > 0, 120_000, 'the replica consumer back');
    const after = gidOf('br-after');
    await waitFor(() => post(api, 'submit', twoSteps(after)), (r) => r.status === 200, 120_000, 'a submit accepted once the broker is back');
    acked.push(after);
    for (const gid of acked) await waitStatus(api, gid, 'succeed', 120_000);
    expect(w!.proc.exitCode).toBeNull();
  });
});
