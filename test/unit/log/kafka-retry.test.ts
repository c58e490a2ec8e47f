import { createRequire } from 'node:module';
import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { LogUnavailable, NotOwner } from '../../../src/errors.js';
import { isFenced, isRetriableKafkaError, withKafkaRetry } from '../../../src/log/kafka/kafka-retry.js';

// kafkajs's own table of broker error codes (protocol/error.js): the rows its clients raise.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error & { type: string; retriable: boolean } };

/** The error kafkajs throws for a broker answer with `code`, as a request does. */
const protocol = (code: number): KafkaJSProtocolError => new KafkaJSProtocolError(createErrorFromCode(code));
/** What kafkajs's retrier rejects with when a call bails (its typings omit the `cause` option). */
const bailed = (cause: Error): KafkaJSNonRetriableError => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => KafkaJSNonRetriableError)(cause, { cause });
const NOT_LEADER = 6;
const LEADER_NOT_AVAILABLE = 5;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const REQUEST_TIMED_OUT = 7;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;
const CONCURRENT_TRANSACTIONS = 51;
const INVALID_PRODUCER_EPOCH = 47;
const TOPIC_ALREADY_EXISTS = 36;
const INVALID_REPLICATION_FACTOR = 38;

describe('isRetriableKafkaError', () => {
  it.each([
    ['NOT_LEADER_FOR_PARTITION', NOT_LEADER],
    ['LEADER_NOT_AVAILABLE', LEADER_NOT_AVAILABLE],
    ['UNKNOWN_TOPIC_OR_PARTITION', UNKNOWN_TOPIC_OR_PARTITION],
    ['REQUEST_TIMED_OUT', REQUEST_TIMED_OUT],
    ['COORDINATOR_LOAD_IN_PROGRESS', COORDINATOR_LOAD_IN_PROGRESS],
    ['COORDINATOR_NOT_AVAILABLE', COORDINATOR_NOT_AVAILABLE],
    ['NOT_COORDINATOR', NOT_COORDINATOR],
    ['CONCURRENT_TRANSACTIONS', CONCURRENT_TRANSACTIONS],
  ])('retries the broker answer %s', (_name, code) => {
    expect(isRetriableKafkaError(protocol(code))).toBe(true);
  });

  it('retries connection errors and request timeouts', () => {
    expect(isRetriableKafkaError(new KafkaJSConnectionError('Connection timeout', { broker: '127.0.0.1:9092' }))).toBe(true);
    expect(isRetriableKafkaError(new KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out'))).toBe(true);
  });

  it('looks through kafkajs wrappers around a retriable cause', () => {
    // what fetchTopicOffsets rejects with on NOT_LEADER_FOR_PARTITION (it bails on it)
    expect(isRetriableKafkaError(bailed(protocol(NOT_LEADER)))).toBe(true);
    expect(isRetriableKafkaError(new KafkaJSNumberOfRetriesExceeded(protocol(LEADER_NOT_AVAILABLE), { retryCount: 8, retryTime: 3000 }))).toBe(true);
    expect(isRetriableKafkaError(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: ECONNREFUSED'), { retryCount: 8, retryTime: 3000 }))).toBe(true);
    // createTopics: one topic timed out, another already existed
    expect(isRetriableKafkaError(new KafkaJSAggregateError('Topic creation errors', [protocol(REQUEST_TIMED_OUT), protocol(TOPIC_ALREADY_EXISTS)]))).toBe(true);
  });

  it("retries kafkajs's describeCluster when no broker answered its metadata request", async () => {
    // kafkajs's own admin over a cluster whose broker pool found no broker to answer (it returns null)
    const createAdmin = require('kafkajs/src/admin/index.js') as (deps: unknown) => { describeCluster(): Promise<unknown> };
    const silent = { namespace: () => silent, info() {}, debug() {}, warn() {}, error() {} };
    const admin = createAdmin({ logger: silent, cluster: { metadata: async () => null } });
    const err = await admin.describeCluster().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(isRetriableKafkaError(err)).toBe(true);
    expect(isRetriableKafkaError(new TypeError("Cannot destructure property 'brokers' of '(intermediate value)' as it is null."))).toBe(false); // not from kafkajs
  });

  it('does not retry what asking again cannot fix', () => {
    expect(isRetriableKafkaError(protocol(INVALID_REPLICATION_FACTOR))).toBe(false);
    expect(isRetriableKafkaError(protocol(TOPIC_ALREADY_EXISTS))).toBe(false);
    expect(isRetriableKafkaError(new KafkaJSNumberOfRetriesExceeded(protocol(INVALID_REPLICATION_FACTOR), { retryCount: 8, retryTime: 3000 }))).toBe(false);
    expect(isRetriableKafkaError(bailed(new TypeError('x is undefined')))).toBe(false);
    expect(isRetriableKafkaError(new KafkaJSError('The producer is disconnected'))).toBe(false);
    expect(isRetriableKafkaError(new TypeError('not a Kafka error'))).toBe(false);
    expect(isRetriableKafkaError(undefined)).toBe(false);
    // dtx's own errors carry their own retry semantics, even around a retriable Kafka cause
    expect(isRetriableKafkaError(new LogUnavailable('kafka write failed', { cause: protocol(NOT_LEADER) }))).toBe(false);
  });

  it('never retries a fenced producer, however it is wrapped', () => {
    const fenced = protocol(INVALID_PRODUCER_EPOCH);
    expect(isFenced(fenced)).toBe(true);
    expect(isRetriableKafkaError(fenced)).toBe(false);
    const wrapped = new KafkaJSNumberOfRetriesExceeded(fenced, { retryCount: 1, retryTime: 100 });
    expect(isFenced(wrapped)).toBe(true);
    expect(isRetriableKafkaError(wrapped)).toBe(false);
    expect(isFenced(new NotOwner('partition 0 was taken over', { cause: bailed(fenced) }))).toBe(true);
    expect(isFenced(protocol(NOT_LEADER))).toBe(false);
  });

  it('a missing transactional-id ACL is neither fenced nor retriable: an operator must grant it', () => {
    const refused = protocol(53); // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    expect(isFenced(refused)).toBe(false);
    expect(isRetriableKafkaError(refused)).toBe(false);
  });
});

describe('withKafkaRetry', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('tries again after retriable errors until the call succeeds', async () => {
    const seen: number[] = [];
    const out = await withKafkaRetry('fetchTopicOffsets', async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw bailed(protocol(NOT_LEADER));
      return 'ok';
    }, fast);
    expect(out).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives up after `attempts` tries with the last error', async () => {
    let calls = 0;
    const last = protocol(COORDINATOR_NOT_AVAILABLE);
    await expect(withKafkaRetry('describeGroups', async () => {
      calls += 1;
      throw last;
    }, { ...fast, attempts: 4 })).rejects.toBe(last);
    expect(calls).toBe(4);
  });

  it('rejects at once on a fenced producer or a non-Kafka error', async () => {
    for (const err of [protocol(INVALID_PRODUCER_EPOCH), new RangeError('bug')]) {
      let calls = 0;
      await expect(withKafkaRetry('commit', async () => {
        calls += 1;
        throw err;
      }, fast)).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });

  it('stops retrying once `stopped` says so', async () => {
    let calls = 0;
    await expect(withKafkaRetry('claim', async () => {
      calls += 1;
      throw protocol(NOT_COORDINATOR);
    }, { ...fast, stopped: () => calls >= 2 })).rejects.toMatchObject({ type: 'NOT_COORDINATOR_FOR_GROUP' });
    expect(calls).toBe(2);
  });
});
