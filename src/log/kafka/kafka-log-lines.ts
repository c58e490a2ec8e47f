import { logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { isRetriableBrokerMessage } from './kafka-retry.js';
import { errorKind, RepeatGate, withRecurred } from '../../observability/repeat-gate.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** At most one kafkajs error or warning of a kind per this long (with how many were held back). */
export const KAFKA_LINE_WINDOW_MS = 10_000;

/**
 * Level of a kafkajs log line in dtx's log. kafkajs logs every broker answer that is an error at
 * ERROR, also those it then retries: a coordinator loading or moving (every fresh broker), a
 * transaction started while the previous commit completes (CONCURRENT_TRANSACTIONS). Those are
 * logged at debug; a request that finally fails is reported by the code that awaited it. kafkajs's
 * INFO lines (joins, commits) are logged at debug too: at info they would drown dtx's own lines.
 */
export function levelOf(entry: Pick<LogEntry, 'level'> & { log: { message?: unknown; error?: unknown } }): 'error' | 'warn' | 'info' | 'debug' {
  if (entry.level === logLevel.INFO) return 'debug';
  const message = String(entry.log.message ?? '');
  // the producer's retries log `Failed to send messages: <broker answer>`
  const colon = message.indexOf(': ');
  const answer = colon < 0 ? message : message.slice(colon + 2);
  if (isRetriableBrokerMessage(String(entry.log.error ?? '')) || isRetriableBrokerMessage(message) || isRetriableBrokerMessage(answer)) return 'debug';
  return LEVELS[entry.level] ?? 'debug';
}

/**
 * Writes kafkajs's log entries to `log` (component `kafka`) at `levelOf`. With the brokers away
 * kafkajs logs each connection attempt of each client as an error, several a second for as long as
 * they are away: errors and warnings pass a RepeatGate, keyed by kafkajs's namespace and the
 * message with its numbers masked (a port, a retry count), so each kind is written once and then at
 * most once per KAFKA_LINE_WINDOW_MS, saying how many were held back. Debug lines are not gated.
 * A worker's clients (the log's, the command bus's, the replica's) share one `gate`: they fail
 * together.
 */
export function kafkaLogLines(log: Logger, gate: RepeatGate = new RepeatGate(KAFKA_LINE_WINDOW_MS, Date.now)): (entry: LogEntry) => void {
  return (entry) => {
    const { message, ...extra } = entry.log;
    const level = levelOf(entry);
    const text = String(message ?? '');
    if (level !== 'error' && level !== 'warn') {
      log[level]({ ns: entry.namespace, ...extra }, text);
      return;
    }
    const recurred = gate.pass(`${entry.namespace}${errorKind(text)}`);
    if (recurred !== undefined) log[level]({ ns: entry.namespace, ...extra, recurred }, withRecurred(text, recurred));
  };
}
