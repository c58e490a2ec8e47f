import { createRequire } from 'node:module';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { connectHint, levelOf } from '../../../src/log/kafka/kafka-client.js';

// kafkajs's own table of broker error codes: the messages its Connection logs a broker answer with.
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
const brokerAnswer = (code: number) => ({ level: logLevel.ERROR, log: { message: 'Response InitProducerId(key: 22, version: 1)', error: createErrorFromCode(code).message } });

describe('levelOf (kafkajs log lines in dtx log)', () => {
  it.each([
    ['COORDINATOR_LOAD_IN_PROGRESS', 14],
    ['COORDINATOR_NOT_AVAILABLE', 15],
    ['NOT_COORDINATOR', 16],
    ['NOT_LEADER_FOR_PARTITION', 6],
    ['CONCURRENT_TRANSACTIONS', 51],
  ])('a retried broker answer (%s) is debug, not an error', (_type, code) => {
    expect(levelOf(brokerAnswer(code))).toBe('debug');
  });

  it('a producer send it retries after CONCURRENT_TRANSACTIONS is debug; a fenced one stays an error', () => {
    const sendFailed = (code: number) => ({ level: logLevel.ERROR, log: { message: `Failed to send messages: ${createErrorFromCode(code).message}` } });
    expect(levelOf(sendFailed(51))).toBe('debug');
    expect(levelOf(sendFailed(47))).toBe('error');
  });

  it('a broker answer that is not retried stays an error (INVALID_PRODUCER_EPOCH: fenced)', () => {
    expect(levelOf(brokerAnswer(47))).toBe('error');
  });

  it('other lines keep their level, INFO goes to debug', () => {
    expect(levelOf({ level: logLevel.ERROR, log: { message: 'Crash: KafkaJSNumberOfRetriesExceeded' } })).toBe('error');
    expect(levelOf({ level: logLevel.WARN, log: { message: 'something odd' } })).toBe('warn');
    expect(levelOf({ level: logLevel.INFO, log: { message: 'Consumer has joined the group' } })).toBe('debug');
  });
});

describe('connectHint (why the brokers refused a connection)', () => {
  const plain = {};
  const tls = { tls: {} };
  it.each([
    ['SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials', tls, /Store.KafkaSasl\)/],
    ['Connection error: unable to verify the first certificate', tls, /not trusted .*Store.KafkaTls.CaFile/],
    ['Connection error: self-signed certificate in certificate chain', tls, /not trusted/],
    ['Connection error: 80:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:rec_layer_s3.c:1601:SSL alert number 42', tls, /client certificate/],
    ['Closed connection: Closed connection', plain, /TLS listener \(Store.KafkaTls.Enable\)/],
  ])('%s', (message, settings, hint) => {
    expect(connectHint(message, settings)).toMatch(hint);
  });

  it('says nothing about a refused port, or a closed connection once TLS is on', () => {
    expect(connectHint('Connection error: connect ECONNREFUSED 127.0.0.1:9092', plain)).toBe('');
    expect(connectHint('Closed connection', tls)).toBe('');
  });
});
