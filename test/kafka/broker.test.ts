import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TEST_KAFKA_BROKER_LIST } from '../support/kafka-broker.js';

// Smoke test of the test broker itself (scripts/kafka-local.sh or DTX_TEST_KAFKA_BROKERS):
// admin, transactions and read_committed fetches are what the Kafka EventLog relies on.
describe('Kafka test broker', () => {
  it('creates a 3-partition topic; a read_committed consumer sees the committed record, not the aborted one', async () => {
    const id = randomUUID();
    const topic = `dtx-smoke-${id}`;
    const kafka = new Kafka({ clientId: 'dtx-broker-smoke', brokers: TEST_KAFKA_BROKER_LIST, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    let consumer: Consumer | undefined;
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);

      const producer = kafka.producer({ transactionalId: `dtx-smoke-${id}`, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const aborted = await producer.transaction();
        await aborted.send({ topic, messages: [{ key: 'gid-1', value: 'aborted', partition: 1 }] });
        await aborted.abort();
        const committed = await producer.transaction();
        await committed.send({ topic, messages: [{ key: 'gid-1', value: 'committed', partition: 1 }] });
        await committed.commit();
      } finally {
        await producer.disconnect();
      }

      consumer = kafka.consumer({ groupId: `dtx-smoke-${id}`, readUncommitted: false, sessionTimeout: 6_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const first = new Promise<{ partition: number; key: string | undefined; value: string | undefined }>((resolve) => {
        void consumer!.run({
          eachMessage: async ({ partition, message }) => {
            resolve({ partition, key: message.key?.toString(), value: message.value?.toString() });
          },
        });
      });
      const got = await Promise.race([
        first,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no record consumed within 30 s')), 30_000).unref()),
      ]);
      expect(got).toEqual({ partition: 1, key: 'gid-1', value: 'committed' });
    } finally {
      await consumer?.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
