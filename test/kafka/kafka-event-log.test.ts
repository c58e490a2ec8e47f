import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.js';
import type { KafkaSettings } from '../../src/log/kafka/kafka-settings.js';
import { describeEventLog } from '../contract/event-log.contract.js';
import { TEST_KAFKA_BROKER_LIST } from '../support/kafka-broker.js';

const PARTITIONS = 3;

/** A fresh log per test: its own topic prefix (fresh topics) and its own replica directory. */
async function kafkaFactory() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtx-kafka-log-'));
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
