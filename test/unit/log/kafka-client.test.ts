import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { logLevel, type LogEntry } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { connectHint } from '../../../src/log/kafka/kafka-client.js';
import { KAFKA_LINE_MAX_WINDOW_MS, KAFKA_LINE_WINDOW_MS, kafkaBackLine, kafkaLogLines, kafkaTroubleLine, levelOf } from '../../../src/log/kafka/kafka-log-lines.js';
import { RepeatGate } from '../../../src/observability/repeat-gate.js';

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

describe('kafkaLogLines (kafkajs lines written to dtx log)', () => {
  /** kafkajs's line for one failed connection attempt of a client (the brokers away). */
  const refused = (port: number, retryCount: number): LogEntry => ({
    namespace: 'BrokerPool', level: logLevel.ERROR, label: 'ERROR',
    log: { timestamp: 't', logger: 'kafkajs', retryCount, message: `Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:${port}` },
  });
  function written() {
    const lines: Array<{ level: number; msg: string; recurred?: number; retryCount?: number }> = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]), done()) });
    const clock = { now: 0 };
    return { lines, clock, write: kafkaLogLines(pino({ level: 'debug' }, sink), new RepeatGate(KAFKA_LINE_WINDOW_MS, () => clock.now)) };
  }

  it('writes one error of a kind per window, saying how many it held back; retried broker answers and INFO lines stay at debug, ungated', () => {
    const { lines, clock, write } = written();
    for (let i = 0; i < 50; i++) {
      write(refused(19092, i % 6)); // the same failure, whatever the port digits and the retry count
      write({ namespace: 'Consumer', level: logLevel.INFO, label: 'INFO', log: { timestamp: 't', logger: 'kafkajs', message: 'Consumer has joined the group' } });
      clock.now += KAFKA_LINE_WINDOW_MS / 20;
    }
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.map((l) => [l.recurred, l.msg.replace(/.*ECONNREFUSED 127.0.0.1:19092/, '…')])).toEqual([
      [0, '…'],
      [19, '… (19 more like it since the last line)'],
      [19, '… (19 more like it since the last line)'],
    ]);
    expect(errors[1]!.retryCount).toBe(20 % 6); // the fields of the line let through
    expect(lines.filter((l) => l.level === 20)).toHaveLength(50);
  });

  it('gates each kind on its own: another failure is written at once', () => {
    const { lines, write } = written();
    write(refused(19092, 0));
    write(refused(19092, 1));
    write({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', logger: 'kafkajs', message: 'Connection error: unable to verify the first certificate' } });
    write({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp: 't', logger: 'kafkajs', message: 'something odd' } });
    expect(lines.map((l) => [l.level, l.msg.slice(0, 30)])).toEqual([[50, 'Failed to connect to seed brok'], [50, 'Connection error: unable to ve'], [40, 'something odd']]);
  });
});

describe("dtx's own Kafka trouble lines (kafkaTroubleLine, kafkaBackLine)", () => {
  function logged() {
    const lines: Array<{ level: number; msg: string; recurred?: number; held?: number; restart?: boolean }> = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]), done()) });
    const clock = { now: 0 };
    const gate = new RepeatGate(KAFKA_LINE_WINDOW_MS, () => clock.now, 64, KAFKA_LINE_MAX_WINDOW_MS);
    return { lines, clock, gate, log: pino({ level: 'debug' }, sink) };
  }
  const away = () => new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19292');

  it('writes a consumer crash of a kind once per window, the window growing while it recurs; the join after it clears the gate and says how many were held back', () => {
    const { lines, clock, gate, log } = logged();
    // a consumer crashing every 3 s for 10 minutes (kafkajs restarts it)
    for (let i = 0; i < 200; i++) {
      kafkaTroubleLine(log, { err: away(), restart: true }, 'replica consumer crashed', gate);
      clock.now += 3000;
    }
    const crashes = lines.filter((l) => l.level === 50);
    expect(crashes[0]).toMatchObject({ msg: 'replica consumer crashed', recurred: 0, restart: true });
    // 10 s, 20 s, 40 s, ... up to 300 s: far fewer than one per 10 s (60)
    expect(crashes.length).toBeGreaterThanOrEqual(6);
    expect(crashes.length).toBeLessThanOrEqual(8);
    const held = crashes.reduce((n, l) => n + (l.recurred ?? 0), 0);
    kafkaBackLine(log, 'replica consumer joined its group again after a crash', gate);
    const back = lines.at(-1)!;
    expect(back.level).toBe(30);
    expect(back.held).toBe(200 - crashes.length - held);
    expect(back.msg).toBe(`replica consumer joined its group again after a crash (${back.held} Kafka error lines held back since their last line)`);
    // the next outage is reported at once
    kafkaTroubleLine(log, { err: away() }, 'replica consumer crashed', gate);
    expect(lines.at(-1)).toMatchObject({ level: 50, recurred: 0 });
  });

  it('keys a crash line by its message and the error kind', () => {
    const { lines, gate, log } = logged();
    kafkaTroubleLine(log, { err: away() }, 'replica consumer crashed', gate);
    kafkaTroubleLine(log, { err: away() }, 'command consumer crashed; kafkajs restarts it', gate);
    kafkaTroubleLine(log, { err: new Error('Not authorized to access group') }, 'command consumer crashed; kafkajs restarts it', gate);
    kafkaTroubleLine(log, { err: away() }, 'replica consumer crashed', gate);
    expect(lines.map((l) => l.msg)).toEqual(['replica consumer crashed', 'command consumer crashed; kafkajs restarts it', 'command consumer crashed; kafkajs restarts it']);
    kafkaBackLine(log, 'back', gate);
    expect(lines.at(-1)).toMatchObject({ msg: 'back (1 Kafka error lines held back since their last line)', held: 1 });
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
