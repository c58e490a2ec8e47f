import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.js';
import type { KafkaSettings } from '../../src/log/kafka/kafka-settings.js';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../src/log/gid-partitioner.js';
import { describeEventLog } from '../contract/event-log.contract.js';
import { TEST_KAFKA_BROKER_LIST } from '../support/kafka-broker.js';
import { tempDir } from '../support/temp-dir.js';

const PARTITIONS = 3;

/** A fresh log per test: its own topic prefix (fresh topics) and its own replica directory. */
async function kafkaFactory() {
  const dir = tempDir('dtx-kafka-log-');
  const settings: KafkaSettings = {
    brokers: TEST_KAFKA_BROKER_LIST,
    prefix: `contract-${randomUUID().slice(0, 8)}`,
    partitions: PARTITIONS,
    sessionTimeoutMs: 10_000,
    clientId: 'contract',
  };
  const logger = pino({ level: 'silent' });
  const open = async (): Promise<KafkaEventLog> => {
    const log = await KafkaEventLog.open({ settings, dataDir: dir, logger });
    for (let p = 0; p < PARTITIONS; p += 1) await log.claim(p);
    return log;
  };
  let current = await open();
  return {
    log: current,
    // states ride in the summary header and land in the replica (engine-settings.ts STATE_EVERY_EVENTS)
    keepsStates: true,
    reopen: async () => {
      await current.close();
      current = await open();
      return current;
    },
    cleanup: async () => {
      await current.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeEventLog('kafka', kafkaFactory);

describe('kafka adapter: back-to-back transactions of one partition', () => {
  it('never fails a batch that starts while the previous commit completes', async () => {
    const fx = await kafkaFactory();
    try {
      const log = fx.log as KafkaEventLog;
      const gids = Array.from({ length: 60 }, (_, i) => `b2b-${i}`).filter((g) => partitionOf(g, PARTITIONS) === 0);
      let offset = 0;
      for (const gid of gids) {
        offset += 1;
        const summary = { gid, transType: 'saga', status: 'succeed', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: true, view: '{}' };
        // an event batch, then at once a batch that only consumed commands (a query, a rejection)
        await Promise.all([
          log.appendPartition(0, [{ v: 1, gid, seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: `c${offset}` }], [summary], String(offset)),
          log.appendPartition(0, [], [], String(offset + 1)),
        ]);
      }
      expect(gids.length).toBeGreaterThan(10);
      for (const gid of gids) expect(await log.read(gid)).toHaveLength(1);
    } finally {
      await fx.cleanup();
    }
  });
});
