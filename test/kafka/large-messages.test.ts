import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import kafkajs, { Kafka, logLevel, type Admin } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.js';
import { topicsOf, type KafkaSettings } from '../../src/log/kafka/kafka-settings.js';
import { TOPIC_MAX_MESSAGE_BYTES } from '../../src/log/kafka/message-chunks.js';
import { partitionOf } from '../../src/log/gid-partitioner.js';
import { KAFKA_MAX_VIEW_CHARS } from '../../src/config/index.js';
import type { DtxProcess } from '../support/dtx-process.js';
import { gidOf, saga, waitFor } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, unary } from '../support/dtm-grpc-client.js';
import { TEST_KAFKA_BROKER_LIST } from '../support/kafka-broker.js';
import { freshPrefix, ownedBy, startWorker, stopWorkers, waitSpread } from '../support/kafka-workers.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Transactions larger than Kafka's default record batch (1 MB) on a real broker. Before: a saga
 * with a 600 KB payload was answered 503 DTX_LOG_UNAVAILABLE for ever (its event carries the
 * request twice), and a forwarded batch of large commands closed the direct stream between workers.
 */
const { ConfigResourceTypes, ConfigSource } = kafkajs;
const logger = pino({ level: 'silent' });
const kafka = new Kafka({ brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING });
let admin: Admin;
beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.disconnect();
});

/** Each topic's `max.message.bytes` and its other overrides. */
async function configsOf(topics: readonly string[]): Promise<Record<string, Record<string, string>>> {
  const { resources } = await admin.describeConfigs({ resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })), includeSynonyms: false });
  return Object.fromEntries(resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG || e.configName === 'max.message.bytes').map((e) => [e.configName, e.configValue]))]));
}

const settingsOf = (prefix: string): KafkaSettings => ({ brokers: TEST_KAFKA_BROKER_LIST, prefix, partitions: 1, sessionTimeoutMs: 10_000, clientId: 'large' });

describe('topics', () => {
  it('are created with max.message.bytes 64 MiB; topics left at Kafka\'s default are raised, their other overrides kept', async () => {
    const freshName = freshPrefix('large-new');
    const fresh = topicsOf(freshName);
    const dir = tempDir('dtx-large-');
    const created = await KafkaEventLog.open({ settings: settingsOf(freshName), dataDir: dir, logger });
    await created.close();
    for (const c of Object.values(await configsOf(Object.values(fresh)))) expect(c['max.message.bytes']).toBe(String(TOPIC_MAX_MESSAGE_BYTES));

    // topics as an earlier dtx created them: its overrides, Kafka's default record batch
    const prefix = freshPrefix('large-old');
    const old = topicsOf(prefix);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: old.commands, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }] },
        { topic: old.events, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }] },
        { topic: old.snapshots, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });
    expect((await configsOf([old.events]))[old.events]!['max.message.bytes']).toBe('1048588');
    const reopened = await KafkaEventLog.open({ settings: settingsOf(prefix), dataDir: tempDir('dtx-large-'), logger });
    await reopened.close();
    const after = await configsOf(Object.values(old));
    expect(after[old.commands]).toEqual({ 'retention.ms': '604800000', 'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES) });
    expect(after[old.events]).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', 'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES) });
    expect(after[old.snapshots]).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES) });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one partition batch of 1.5 MB of small events is written in chunks: it passes a topic held at 1 MB', async () => {
    const prefix = freshPrefix('large-batch');
    const log = await KafkaEventLog.open({ settings: settingsOf(prefix), dataDir: tempDir('dtx-large-'), logger });
    try {
      const events = topicsOf(prefix).events;
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: events, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }] });
      await waitFor(() => configsOf([events]), (c) => c[events]?.['max.message.bytes'] === '1048588', 20_000, 'the topic to hold 1 MB');
      await log.claim(0);
      const gids = Array.from({ length: 300 }, (_, i) => `chunk-${i}`);
      const view = (gid: string) => JSON.stringify({ transaction: { gid }, branches: [], pad: 'p'.repeat(2500) });
      await log.appendPartition(
        0,
        gids.map((gid) => ({ v: 1, gid, seq: 1, type: 'TransCreated', at: 1, data: { pad: 'd'.repeat(2500) }, cmd: `c-${gid}` })),
        gids.map((gid) => ({ gid, transType: 'saga', status: 'succeed', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: true, view: view(gid) })),
      );
      for (const gid of [gids[0]!, gids[299]!]) expect(await log.read(gid)).toHaveLength(1);
    } finally {
      await log.close();
    }
  });
});

describe('two workers', () => {
  const PARTITIONS = 2;
  const prefix = freshPrefix('large');
  let a: DtxProcess;
  let b: DtxProcess;
  beforeAll(async () => {
    a = await startWorker({ prefix, partitions: PARTITIONS });
    b = await startWorker({ prefix, partitions: PARTITIONS });
    await waitSpread([a, b], PARTITIONS);
  });
  afterAll(async () => {
    await stopWorkers(a, b);
  });

  it('store sagas of 1 MiB payloads: over HTTP, and over gRPC through the worker that does not own them, at once', async () => {
    const ofA = await ownedBy(a);
    const gidOnA = (prefix: string) => {
      let gid = gidOf(prefix);
      while (!ofA.includes(partitionOf(gid, PARTITIONS))) gid = gidOf(prefix);
      return gid;
    };
    const http = await fetch(`${b.api}/submit`, { method: 'POST', body: JSON.stringify(saga(gidOnA('large-http'), [{ action: '', compensate: '' }], { payloads: ['x'.repeat(1_000_000)], wait_result: true })) });
    expect([http.status, await http.text()]).toEqual([200, '{"dtm_result":"SUCCESS"}']);
    const client = dtmClient(`127.0.0.1:${b.grpcPort}`);
    try {
      // control characters: each byte is six in the JSON of the command and of the event
      const submits = Array.from({ length: 6 }, () => unary(client, 'Submit', dtmRequest(gidOnA('large-grpc'), 'saga', [{ action: '', compensate: '' }], [], { BinPayloads: [Buffer.alloc(1_040_000, 1)], TransOptions: { WaitResult: true } }), new grpc.Metadata(), 120_000));
      expect((await Promise.all(submits)).map((r) => [r.code, r.details])).toEqual(Array.from({ length: 6 }, () => [grpc.status.OK, '']));
    } finally {
      client.close();
    }
    expect(b.logs.filter((l) => l.includes('direct command stream closed'))).toEqual([]);
    expect([...a.logs, ...b.logs].filter((l) => /"level":(50|60)/.test(l) && /larger than/.test(l))).toEqual([]);
  });

  it('a tcc whose view would pass KAFKA_MAX_VIEW_CHARS gets 413 for that registration; the transaction goes on', async () => {
    const gid = gidOf('large-tcc');
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`${a.api}/${route}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await post('prepare', { gid, trans_type: 'tcc' })).status).toBe(200);
    const answers = [];
    for (let i = 1; i <= 12; i += 1) {
      const r = await post('registerBranch', { gid, trans_type: 'tcc', branch_id: String(i).padStart(2, '0'), data: 'd'.repeat(1_000_000), confirm: '', cancel: '' });
      answers.push(r);
      if (r.status !== 200) break;
    }
    const refused = answers.at(-1)!;
    expect([refused.status, refused.body.code]).toEqual([413, 'DTX_PAYLOAD_TOO_LARGE']);
    expect(String(refused.body.message)).toContain(`more than the log takes (${KAFKA_MAX_VIEW_CHARS})`);
    expect(answers.length).toBeGreaterThan(2); // a few Mi characters of view per registration
    expect((await post('submit', { gid, trans_type: 'tcc' })).status).toBe(200);
    await waitFor(async () => (await (await fetch(`${a.api}/query?gid=${gid}`)).json()) as { transaction: { status: string } }, (q) => q.transaction.status === 'succeed', 60_000, `${gid} to succeed`);
  });
});
