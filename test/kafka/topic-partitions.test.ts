import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Kafka, KafkaJSAggregateError, logLevel, type Admin } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_PARTITIONS } from '../../src/config/index.js';
import { LogUnavailable } from '../../src/errors.js';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.js';
import { topicsOf, type KafkaSettings } from '../../src/log/kafka/kafka-settings.js';
import { withKafkaRetry } from '../../src/log/kafka/kafka-retry.js';
import { ensureTopics } from '../../src/log/kafka/kafka-topics.js';
import { TEST_KAFKA_BROKER_LIST } from '../support/kafka-broker.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * `Store.Partitions` 0 (the default) on the real broker: topics a worker creates get
 * AUTO_PARTITIONS.kafka partitions, existing topics keep theirs and the worker adopts their count;
 * a count that is set must match the topics, and topics that disagree are refused.
 */
const logger = pino({ level: 'silent' });
const settingsOf = (prefix: string, partitions: number): KafkaSettings => ({ brokers: TEST_KAFKA_BROKER_LIST, prefix, partitions, sessionTimeoutMs: 10_000, clientId: 'topic-partitions' });
const freshPrefix = (): string => `parts-${randomUUID().slice(0, 8)}`;

let admin: Admin;

// a topic created a moment ago may have no metadata on the broker yet (UNKNOWN_TOPIC_OR_PARTITION
// on a busy machine): the tests' own admin calls are retried as dtx retries its own
async function partitionsOfTopics(prefix: string): Promise<number[]> {
  const t = topicsOf(prefix);
  const meta = await withKafkaRetry('fetchTopicMetadata', () => admin.fetchTopicMetadata({ topics: [t.commands, t.events, t.snapshots] }), { logger });
  return meta.topics.map((x) => x.partitions.length);
}

/** The topics as an operator (or an older dtx) left them; a retry after a lost answer finds them created. */
async function createTopics(topics: ReadonlyArray<{ topic: string; numPartitions: number }>): Promise<void> {
  await withKafkaRetry('createTopics', () => admin.createTopics({ waitForLeaders: true, topics: topics.map((t) => ({ ...t, replicationFactor: 1 })) }), { logger });
}

describe('kafka topics: partition count', () => {
  beforeAll(async () => {
    admin = new Kafka({ clientId: 'topic-partitions', brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('automatic: creates missing topics with AUTO_PARTITIONS.kafka partitions and resolves to that count', async () => {
    const prefix = freshPrefix();
    expect(await ensureTopics(admin, settingsOf(prefix, 0), logger)).toBe(AUTO_PARTITIONS.kafka);
    expect(await partitionsOfTopics(prefix)).toEqual([AUTO_PARTITIONS.kafka, AUTO_PARTITIONS.kafka, AUTO_PARTITIONS.kafka]);
  });

  it("automatic: adopts the count of existing topics; a set count must equal it", async () => {
    const prefix = freshPrefix();
    expect(await ensureTopics(admin, settingsOf(prefix, 3), logger)).toBe(3);
    expect(await ensureTopics(admin, settingsOf(prefix, 0), logger)).toBe(3);
    expect(await ensureTopics(admin, settingsOf(prefix, 3), logger, false)).toBe(3);
    const refused = ensureTopics(admin, settingsOf(prefix, 5), logger);
    await expect(refused).rejects.toBeInstanceOf(LogUnavailable);
    await expect(refused).rejects.toThrow(/have 3 partitions .* but Store\.Partitions is 5/);
    expect(await partitionsOfTopics(prefix)).toEqual([3, 3, 3]);
  });

  it('retries the controller\'s INVALID_REPLICATION_FACTOR (a broker fenced for a moment): the topics are created', async () => {
    // what kafkajs throws when the controller answers "only 0 broker(s) are registered" (seen on two saturated cores)
    const require = createRequire(import.meta.url);
    const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
    const { KafkaJSCreateTopicError } = require('kafkajs/src/errors.js') as { KafkaJSCreateTopicError: new (e: Error, topic: string) => Error };
    const prefix = freshPrefix();
    const t = topicsOf(prefix);
    let refusals = 0;
    const flaky = new Proxy(admin, {
      get: (target, key, receiver) => key !== 'createTopics' ? Reflect.get(target, key, receiver) as unknown : (options: Parameters<Admin['createTopics']>[0]) => {
        if (refusals++ === 0) return Promise.reject(new KafkaJSAggregateError('Topic creation errors', [t.commands, t.events, t.snapshots].map((topic) => new KafkaJSCreateTopicError(createErrorFromCode(38), topic))));
        return target.createTopics(options);
      },
    });
    expect(await ensureTopics(flaky, settingsOf(prefix, 0), logger)).toBe(AUTO_PARTITIONS.kafka);
    expect(refusals).toBe(2);
    expect(await partitionsOfTopics(prefix)).toEqual([AUTO_PARTITIONS.kafka, AUTO_PARTITIONS.kafka, AUTO_PARTITIONS.kafka]);
  });

  it('automatic: creates a topic missing beside existing ones with their count', async () => {
    const prefix = freshPrefix();
    const t = topicsOf(prefix);
    await createTopics([{ topic: t.commands, numPartitions: 2 }]);
    expect(await ensureTopics(admin, settingsOf(prefix, 0), logger)).toBe(2);
    expect(await partitionsOfTopics(prefix)).toEqual([2, 2, 2]);
  });

  it('refuses topics whose partition counts differ from each other, whatever the setting', async () => {
    const prefix = freshPrefix();
    const t = topicsOf(prefix);
    await createTopics([{ topic: t.commands, numPartitions: 2 }, { topic: t.events, numPartitions: 3 }]);
    await expect(ensureTopics(admin, settingsOf(prefix, 0), logger)).rejects.toThrow(/different partition counts \(.*commands: 2, .*events: 3\)/); // by name, whatever order the broker lists them in
    await expect(ensureTopics(admin, settingsOf(prefix, 2), logger)).rejects.toThrow(/different partition counts/);
  });

  it("an event log opened with the automatic count carries the topics' count in its settings", async () => {
    const prefix = freshPrefix();
    await ensureTopics(admin, settingsOf(prefix, 2), logger);
    const dir = tempDir('dtx-kafka-parts-');
    const log = await KafkaEventLog.open({ settings: settingsOf(prefix, 0), dataDir: dir, logger });
    try {
      expect(log.settings.partitions).toBe(2);
      await log.claim(1);
    } finally {
      await log.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
