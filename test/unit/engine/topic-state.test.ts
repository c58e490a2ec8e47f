import { describe, expect, it } from 'vitest';
import { applyTopicEvent, decideTopic, emptyTopic, foldTopic, MAX_TOPIC_SUBSCRIBERS, type TopicChange, type TopicState } from '../../../src/engine/topic-state.js';
import { kvChangeOf, topicKey, topicOfKey, isReservedGid } from '../../../src/log/kv-records.js';
import type { LogRecord } from '../../../src/log/event-log.js';

/** Topic fold and dtm's rules (spec §9, dtmsvr/topics.go), and the KV projection of the events. */
function run(changes: TopicChange[], topic = 't'): { state: TopicState; errors: string[]; records: LogRecord[] } {
  let state = emptyTopic(topic);
  const errors: string[] = [];
  const records: LogRecord[] = [];
  for (const c of changes) {
    const d = decideTopic(state, c);
    if ('error' in d) {
      errors.push(d.error);
      continue;
    }
    const { type, ...data } = d.event;
    const seq = state.seq + 1;
    records.push({ v: 1, gid: topicKey(topic), seq, type, at: 1000 + seq, data, cmd: `c${seq}` });
    state = applyTopicEvent(state, d.event, seq);
  }
  return { state, errors, records };
}
const sub = (url: string, remark = ''): TopicChange => ({ op: 'subscribe', url, remark });
const unsub = (url: string): TopicChange => ({ op: 'unsubscribe', url });

describe('topic rules', () => {
  it('subscribe creates the topic at version 1 and appends subscribers in order, +1 each', () => {
    const { state, errors } = run([sub('http://a/1', 'first'), sub('http://a/2')]);
    expect(errors).toEqual([]);
    expect(state).toEqual({ topic: 't', seq: 2, version: 2, subscribers: [{ url: 'http://a/1', remark: 'first' }, { url: 'http://a/2', remark: '' }] });
  });

  it("answers dtm's texts, trailing space and all", () => {
    expect(run([sub('http://a/1'), sub('http://a/1')]).errors).toEqual(['this url exists']);
    expect(run([sub('')]).errors).toEqual(['empty url']);
    expect(run([unsub('http://a/1')]).errors).toEqual(['no such a topic']);
    expect(run([sub('http://a/1'), unsub('http://a/1'), unsub('http://a/1')]).errors).toEqual(['this topic is empty']);
    expect(run([sub('http://a/1'), unsub('http://a/2')]).errors).toEqual(['no such an url ']);
    expect(run([{ op: 'delete' }]).errors).toEqual(['storage: NotFound']);
    expect(run([sub('http://a/1')], '').errors).toEqual(['empty topic']);
  });

  it('20 subscribes then 20 unsubscribes end at version 40 (spec §15.3 TestConcurrentUpdateTopic)', () => {
    const urls = Array.from({ length: 20 }, (_, i) => `http://dtm/test${i}`);
    const { state, errors } = run([...urls.map((u) => sub(u)), ...urls.map(unsub)]);
    expect(errors).toEqual([]);
    expect(state.version).toBe(40);
    expect(state.subscribers).toEqual([]);
  });

  it('delete drops the topic; a new subscribe starts again at version 1', () => {
    const { state, records } = run([sub('http://a/1'), { op: 'delete' }, sub('http://a/2')]);
    expect(state).toMatchObject({ seq: 3, version: 1, subscribers: [{ url: 'http://a/2', remark: '' }] });
    expect(records.map((r) => r.type)).toEqual(['TopicSubscribed', 'TopicDeleted', 'TopicSubscribed']);
  });

  it(`refuses subscriber ${MAX_TOPIC_SUBSCRIBERS + 1} as a dtx bound`, () => {
    const urls = Array.from({ length: MAX_TOPIC_SUBSCRIBERS }, (_, i) => `http://b/${i}`);
    const { state } = run(urls.map((u) => sub(u)));
    expect(decideTopic(state, sub('http://b/x'))).toEqual({ error: expect.stringMatching(/^url: .*256 subscribers/), bound: true });
  });

  it('the fold of the stored records is the state the decisions reached', () => {
    const { state, records } = run([sub('http://a/1'), sub('http://a/2'), unsub('http://a/1'), sub('http://a/3', 'x')]);
    expect(foldTopic('t', records)).toEqual(state);
    expect(foldTopic('t', [])).toEqual(emptyTopic('t'));
  });
});

describe('KV projection of topic records', () => {
  const { records } = run([sub('http://a/1', 'r'), unsub('http://a/1'), { op: 'delete' }], 'orders');
  it('maps each event to the row it leaves (dtm value text) or a delete', () => {
    expect(records.map(kvChangeOf)).toEqual([
      { op: 'put', cat: 'topics', k: 'orders', v: '[{"url":"http://a/1","remark":"r"}]', version: 1, at: 1001 },
      { op: 'put', cat: 'topics', k: 'orders', v: '[]', version: 2, at: 1002 },
      { op: 'delete', cat: 'topics', k: 'orders' },
    ]);
  });
  it('ignores transaction records, also of a same-named type', () => {
    expect(kvChangeOf({ ...records[0]!, gid: 'orders' })).toBeUndefined();
    expect(kvChangeOf({ ...records[0]!, type: 'TransCreated' })).toBeUndefined();
  });
  it('reserves the dtx: prefix for topic keys', () => {
    expect(topicKey('a:b')).toBe('dtx:topic:a:b');
    expect(topicOfKey('dtx:topic:a:b')).toBe('a:b');
    expect(topicOfKey('a:b')).toBeUndefined();
    expect(isReservedGid('dtx:anything')).toBe(true);
    expect(isReservedGid('gid-dtx:')).toBe(false);
  });
});
