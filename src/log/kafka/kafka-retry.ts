import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { errorChain as chainOf, type ErrorLike } from '../../errors.js';

/**
 * Broker answers that say "not now, ask again" (Kafka protocol error types, with kafkajs's names and
 * the protocol's newer ones): leadership or coordinators moving or loading, a transaction still
 * completing, a broker too busy to answer in time, a topic created a moment ago.
 */
const RETRIABLE_TYPES = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'GROUP_LOAD_IN_PROGRESS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'NOT_CONTROLLER',
  'CONCURRENT_TRANSACTIONS',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'KAFKA_STORAGE_ERROR',
  'OFFSET_NOT_AVAILABLE',
  'UNSTABLE_OFFSET_COMMIT',
]);

/** kafkajs error classes for a broker that cannot be reached or answered too late. */
const RETRIABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
]);

/**
 * kafkajs's table of broker error codes (protocol/error.js, not in its typings): the message a
 * broker answer is logged with, mapped back to its type.
 */
const TYPE_OF_MESSAGE = new Map(
  (createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: Array<{ type: string; message: string }> }).errorCodes.map((e) => [e.message, e.type]),
);

/** The type of the broker answer whose text is `message` (as kafkajs logs it), when it is one. */
export function brokerErrorType(message: string): string | undefined {
  return TYPE_OF_MESSAGE.get(message);
}

/** True when `message` is the text of a broker answer of a type in RETRIABLE_TYPES (kafkajs logs those before retrying). */
export function isRetriableBrokerMessage(message: string): boolean {
  const type = brokerErrorType(message);
  return type !== undefined && RETRIABLE_TYPES.has(type);
}

/**
 * Error types that mean "a newer producer with our transactional id exists": never retried. Not
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED: the broker answers that for a missing ACL, never for a
 * fenced producer, and a missing ACL is no reason to hand the partition on (errors.ts `kafkaAuthorizationFailure`).
 */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_TXN_STATE']);

/** True when `err` (or one it wraps) says a newer producer owns the transactional id. */
export function isFenced(err: unknown): boolean {
  return chainOf(err).some((e) => typeof e.type === 'string' && FENCED_TYPES.has(e.type));
}

/**
 * True when `err` is a Kafka error worth trying again: a protocol error kafkajs marks `retriable`
 * or of a type in RETRIABLE_TYPES, or a connection, timeout or metadata error. kafkajs wrappers
 * are looked through: KafkaJSNumberOfRetriesExceeded (its own retries ran out) and
 * KafkaJSNonRetriableError around a retriable cause (some admin calls bail on any other error than
 * the one they expect, e.g. fetchTopicOffsets on NOT_LEADER_FOR_PARTITION). Never true for a
 * fenced producer (another worker owns the partition), for dtx's own errors, or for programming
 * errors: only kafkajs errors are looked at.
 */
export function isRetriableKafkaError(err: unknown): boolean {
  if (isUnansweredMetadata(err)) return true;
  if (!isKafkaJsError(err) || isFenced(err)) return false;
  return chainOf(err).some((e) => {
    if (typeof e.type === 'string') return RETRIABLE_TYPES.has(e.type) || e.retriable === true; // a protocol error
    return typeof e.name === 'string' && RETRIABLE_NAMES.has(e.name);
  });
}

/**
 * kafkajs 2.2.4's `admin.describeCluster` when no broker answered its metadata request (a timeout on
 * a busy machine): its broker pool swallows each broker's error and returns null, and the admin
 * then fails with a TypeError destructuring it. That is a broker not answering in time: retriable.
 */
export function isUnansweredMetadata(err: unknown): boolean {
  return err instanceof TypeError && /as it is null/.test(err.message) && /kafkajs[\\/]src[\\/]admin[\\/]/.test(err.stack ?? '');
}

function isKafkaJsError(err: unknown): boolean {
  const name = (err as ErrorLike | null)?.name;
  return typeof name === 'string' && name.startsWith('KafkaJS');
}

export interface KafkaRetryOptions {
  /** tries in all, the first one included (default 12: about 35 s with the default backoff) */
  readonly attempts?: number;
  /** backoff before the second try; doubles up to `maxDelayMs` (default 100) */
  readonly initialDelayMs?: number;
  /** longest backoff (default 5000) */
  readonly maxDelayMs?: number;
  readonly logger?: Logger;
  /** checked before each retry: true gives up at once with the last error (e.g. the log closed) */
  readonly stopped?: () => boolean;
  /** errors this call may also try again (what is transient for it alone) */
  readonly retriableToo?: (err: unknown) => boolean;
}

/**
 * Runs `fn` and runs it again, after a jittered exponential backoff, while it fails with a
 * retriable Kafka error (`isRetriableKafkaError`), `attempts` times at most; then rejects with the
 * last error. The default budget (about 35 s) is sized on what a broker on a busy 2-core machine
 * was seen to need: new topics unknown to it for over 10 s after CreateTopics. Any other error rejects at once. `fn` must be safe to repeat: every call it wraps
 * either changes nothing on the broker or is idempotent there. `what` names the call in logs.
 */
export async function withKafkaRetry<T>(what: string, fn: (attempt: number) => Promise<T>, options: KafkaRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 12);
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !(isRetriableKafkaError(err) || options.retriableToo?.(err) === true) || options.stopped?.() === true) throw err;
      const delay = Math.round(Math.min(max, initial * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4));
      options.logger?.[attempt < 3 ? 'debug' : 'warn']({ err, attempt, delayMs: delay }, `${what}: retriable Kafka error; retrying`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
