import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaSettings } from './kafka-settings.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Broker answers kafkajs retries by design: a transaction started while the previous commit
 * completes (CONCURRENT_TRANSACTIONS). Logged at debug, not as errors.
 */
const EXPECTED = /concurrent operation on the same transaction/;

/**
 * One kafkajs client per worker, logging through pino (component `kafka`). kafkajs's INFO lines
 * (joins, commits) are logged at debug: at info they would drown the coordinator's own lines.
 */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafka' });
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.INFO,
    retry: { initialRetryTime: 100, retries: 8 },
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      const expected = EXPECTED.test(String(message)) || EXPECTED.test(String(extra['error'] ?? ''));
      const level = entry.level === logLevel.INFO || expected ? 'debug' : (LEVELS[entry.level] ?? 'debug');
      log[level]({ ns: entry.namespace, ...extra }, message);
    },
  });
}
