import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/index.js';
import { aclRefusalLine, startupFailureLine } from '../../../src/cli/startup-failure.js';
import Database from 'better-sqlite3';
import { kafkaAuthorizationFailure } from '../../../src/errors.js';
import { toLogError } from '../../../src/log/sqlite/sqlite-database.js';

// kafkajs's own errors, as its admin and producers throw them
const require = createRequire(import.meta.url);
type ErrorClass = new (...args: unknown[]) => Error;
const { KafkaJSAggregateError, KafkaJSCreateTopicError, KafkaJSProtocolError } = require('kafkajs/src/errors.js') as Record<'KafkaJSAggregateError' | 'KafkaJSCreateTopicError' | 'KafkaJSProtocolError', ErrorClass>;
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };

describe('kafkaAuthorizationFailure', () => {
  it('finds an ACL refusal inside an aggregate of topic errors', () => {
    const denied = new KafkaJSCreateTopicError(createErrorFromCode(29), 'dtx.events');
    const err = new KafkaJSAggregateError('Topic creation errors', [denied]);
    expect(kafkaAuthorizationFailure(err)).toMatch(/^TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics/);
  });

  it.each([[30, 'GROUP_AUTHORIZATION_FAILED'], [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'], [31, 'CLUSTER_AUTHORIZATION_FAILED']])('code %i as a cause: %s', (code, type) => {
    const err = new Error('producer failed', { cause: new KafkaJSProtocolError(createErrorFromCode(code)) });
    expect(kafkaAuthorizationFailure(err)).toMatch(new RegExp(`^${type}`));
  });

  it('other broker answers and plain errors are not refusals', () => {
    expect(kafkaAuthorizationFailure(new KafkaJSProtocolError(createErrorFromCode(6)))).toBeUndefined();
    expect(kafkaAuthorizationFailure(new Error('boom'))).toBeUndefined();
    expect(kafkaAuthorizationFailure('text')).toBeUndefined();
  });

  it('becomes the one start-up line naming the prefix to grant', () => {
    const { config } = resolveConfig({ env: { STORE_DRIVER: 'kafka', STORE_KAFKA_PREFIX: 'orders' } });
    const line = startupFailureLine(new KafkaJSProtocolError(createErrorFromCode(53)), config);
    expect(line).toMatch(/refused this user an operation \(TRANSACTIONAL_ID_AUTHORIZATION_FAILED.*Store.KafkaPrefix 'orders'/);
    // the same line when a running worker is refused (serve prints it after `dtx: stopping:`)
    expect(aclRefusalLine(new KafkaJSProtocolError(createErrorFromCode(53)), config)).toBe(line);
    expect(aclRefusalLine(new Error('fsync failed'), config)).toBeUndefined();
  });
});

describe('startupFailureLine: the log\'s disk', () => {
  it('a full disk (SQLITE_FULL, as the log maps it) is one line naming the data dir; other SQLite failures are not', () => {
    const { config } = resolveConfig({ env: { STORE_DATA_DIR: '/srv/dtx' } });
    const full = toLogError(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), 'lock /srv/dtx/dtx.lock');
    expect(startupFailureLine(full, config)).toBe('the disk of the data dir /srv/dtx is full; free space there (at least the size of its dtx.db-wal, which is copied into dtx.db) and start dtx again');
    expect(startupFailureLine(toLogError(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR'), 'open'), config)).toBeUndefined();
  });
});
