import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import type { LogRecord, StoredState, TransSummary } from '../../../src/log/event-log.js';
import { decodeEventMessage, encodeBatchMessages, STATE_MESSAGE_MAX_BYTES } from '../../../src/log/kafka/event-message.js';
import { messageBytes, TOPIC_MAX_MESSAGE_BYTES } from '../../../src/log/kafka/message-chunks.js';

const rec = (gid: string, seq: number): LogRecord => ({ v: 1, gid, seq, type: 'CronFired', at: 1, data: {}, cmd: `c${seq}` });
const row = (gid: string, state?: StoredState): TransSummary => ({ gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: 2, nextCronTime: 3, finished: false, view: '{"gid":"x"}', ...(state ? { state } : {}) });
const stateOf = (text: string): StoredState => ({ seq: 2000, value: 'submitted', context: { text }, cmds: ['c2000'] });

/** What a record of the events topic carries back: its event and its summary, state included. */
const decoded = (m: ReturnType<typeof encodeBatchMessages>[number]) => decodeEventMessage({ ...m, headers: m.headers } as unknown as KafkaMessage);

/** Stored states travel to every replica in the summary header of the event that passes the multiple. */
describe('event messages with a stored state', () => {
  it('carry the state in the summary header, with or without an event', () => {
    const state = stateOf('ü ☃ "q"');
    const [event, alone] = encodeBatchMessages([rec('a', 2000)], [row('a', state), row('b', state)]);
    expect(decoded(event!)).toEqual({ record: rec('a', 2000), summary: row('a', state) });
    expect(decoded(alone!).summary).toEqual(row('b', state));
  });

  it('leave a state out when the record would pass STATE_MESSAGE_MAX_BYTES, and keep the row', () => {
    // control characters escape to six bytes each: the state alone passes the bound
    const state = stateOf('\u0001'.repeat(Math.ceil(STATE_MESSAGE_MAX_BYTES / 6) + 1));
    const [event, alone] = encodeBatchMessages([rec('a', 2000)], [row('a', state), row('b', state)]);
    for (const m of [event!, alone!]) {
      expect(messageBytes(m)).toBeLessThan(TOPIC_MAX_MESSAGE_BYTES);
      expect(decoded(m).summary?.state).toBeUndefined();
    }
    expect(decoded(event!).summary).toEqual(row('a'));
    expect(decoded(alone!).summary).toEqual(row('b'));
    const fits = stateOf('\u0001'.repeat(Math.floor(STATE_MESSAGE_MAX_BYTES / 6) - 1000));
    expect(decoded(encodeBatchMessages([rec('a', 2000)], [row('a', fits)])[0]!).summary?.state).toEqual(fits);
  });
});
