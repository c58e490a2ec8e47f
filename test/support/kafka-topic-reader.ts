import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reads `topic` from its start to the end offsets it has now, as a read_committed consumer of a
 * throwaway group, handing each message (in offset order per partition) to `onMessage`. The Kafka
 * tests look at a topic with it as any Kafka tool would; the Kafka benchmarks (bench/) use it too, to
 * count and copy the events topic (it is test support, not product code: src/ has no use for it).
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, onMessage: (partition: number, m: KafkaMessage) => void, timeoutMs = 600_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  const reached = new Map<number, number>();
  const consumer = kafka.consumer({ groupId: `dtx-topic-reader-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  // END_BATCH_PROCESS also covers batches of only control records or aborted data
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    reached.set(payload.partition, Math.max(reached.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1));
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: Math.max(1, ends.size),
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) onMessage(batch.partition, m);
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (![...ends].every(([p, end]) => end === 0 || (reached.get(p) ?? 0) >= end)) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} to its end took over ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20)); // polling the consumer's progress, not synchronising with it
    }
  } finally {
    await consumer.disconnect();
  }
}
