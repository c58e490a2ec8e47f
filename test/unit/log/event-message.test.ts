import { describe, expect, it } from 'vitest';
import type { KafkaMessage, Message } from 'kafkajs';
import type { LogRecord, StoredState, TransSummary } from '../../../src/log/event-log.js';
import { decodeEventMessage, encodeBatchMessages, STATE_MESSAGE_MAX_BYTES } from '../../../src/log/kafka/event-message.js';
import { messageBytes } from '../../../src/log/kafka/message-chunks.js';

const rec = (gid: string, seq: number): LogRecord => ({ v: 1, gid, seq, type: 'CronFired', at: 1, data: {}, cmd: `c${seq}` });
const row = (gid: string, state?: StoredState): TransSummary => ({ gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: 2, nextCronTime: 3, finished: false, view: '{"gid":"x"}', ...(state ? { state } : {}) });
const stateOf = (text: string): StoredState => ({ seq: 2000, value: 'submitted', context: { text }, cmds: ['c2000'] });

/** What a record of the events topic carries back: its event and its summary, state included. */
const decoded = (m: Message) => decodeEventMessage({ ...m, headers: m.headers } as unknown as KafkaMessage);

/** Stored states travel to every replica in the summary header of the event that passes the multiple. */
describe('event messages with a stored state', () => {
  it('carry the state in the summary header, with or without an event', () => {
    const state = stateOf('ü ☃ "q"');
    const batch = encodeBatchMessages([rec('a', 1999), rec('a', 2000)], [row('a', state), row('b', state)]);
    const [first, event, alone] = batch.messages;
    expect(decoded(first!)).toEqual({ record: rec('a', 1999) }); // the row rides on the gid's last event only
    expect(decoded(event!)).toEqual({ record: rec('a', 2000), summary: row('a', state) });
    expect(decoded(alone!)).toEqual({ summary: row('b', state) });
    expect(batch.summaries).toEqual([row('a', state), row('b', state)]);
  });

  it('leave a state out when its record would pass STATE_MESSAGE_MAX_BYTES, keep the row, and say so to the writer', () => {
    // control characters escape to six bytes each: with the state the record passes the bound
    const big = stateOf('\u0001'.repeat(Math.ceil(STATE_MESSAGE_MAX_BYTES / 6) + 1));
    const fits = stateOf('\u0001'.repeat(Math.floor(STATE_MESSAGE_MAX_BYTES / 6) - 1000));
    const batch = encodeBatchMessages([rec('a', 2000), rec('c', 2000)], [row('a', big), row('b', big), row('c', fits)]);
    const [event, kept, alone] = batch.messages;
    expect(decoded(event!).summary).toEqual(row('a'));
    expect(decoded(alone!).summary).toEqual(row('b'));
    expect(messageBytes(event!)).toBeLessThan(1000);
    expect(decoded(kept!).summary?.state).toEqual(fits);
    expect(messageBytes(kept!)).toBeGreaterThan(STATE_MESSAGE_MAX_BYTES - 10_000);
    // the writer's own replica copies what travelled: no state the topic does not hold
    expect(batch.summaries).toEqual([row('a'), row('b'), row('c', fits)]);
  });
});
