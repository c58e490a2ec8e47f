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

/** At most one Kafka error or warning of a kind per this long (with how many were held back)... */
export const KAFKA_LINE_WINDOW_MS = 10_000;
/** ...doubling while the kind keeps recurring, up to this (RepeatGate's `maxWindowMs`). */
export const KAFKA_LINE_MAX_WINDOW_MS = 300_000;

/**
 * One gate for the Kafka trouble lines of this process: kafkajs's (every client of a worker: the
 * log's, the command bus's, the replica's) and dtx's own about its consumers (`kafkaTroubleLine`).
 * They fail together when the brokers are away.
 */
export const KAFKA_LINES = new RepeatGate(KAFKA_LINE_WINDOW_MS, Date.now, 64, KAFKA_LINE_MAX_WINDOW_MS);

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
 * most once per window (KAFKA_LINE_WINDOW_MS, growing to KAFKA_LINE_MAX_WINDOW_MS while it keeps
 * recurring), saying how many were held back. Debug lines are not gated.
 */
export function kafkaLogLines(log: Logger, gate: RepeatGate = KAFKA_LINES): (entry: LogEntry) => void {
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

/**
 * An error line of dtx's own about a Kafka client (a consumer crashed and kafkajs restarts it):
 * through `gate` like kafkajs's lines, keyed by `msg` and the error's kind. With the brokers away
 * each consumer crashes every few seconds.
 */
export function kafkaTroubleLine(log: Logger, fields: { readonly err: unknown } & Record<string, unknown>, msg: string, gate: RepeatGate = KAFKA_LINES): void {
  const recurred = gate.pass(`${msg}${errorKind(fields.err)}`);
  if (recurred !== undefined) log.error({ ...fields, recurred }, withRecurred(msg, recurred));
}

/**
 * A consumer joined its group again after it crashed: the brokers answer. Forgets every kind of
 * `gate` (the next trouble is reported at once, not after a window grown during this one) and says
 * how many lines were held back since their last line.
 */
export function kafkaBackLine(log: Logger, msg: string, gate: RepeatGate = KAFKA_LINES): void {
  const held = gate.clear();
  log.info({ held }, held > 0 ? `${msg} (${held} Kafka error lines held back since their last line)` : msg);
}
