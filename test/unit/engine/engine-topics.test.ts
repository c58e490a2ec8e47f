import { describe, expect, it } from 'vitest';
import { EMPTY_OPTIONS, type TransSpec } from '../../../machines/index.js';
import type { Command } from '../../../src/engine/command.js';
import type { TopicChange } from '../../../src/engine/topic-state.js';
import { topicKey } from '../../../src/log/kv-records.js';
import { MemoryLogStore } from '../../../src/log/memory/memory-event-log.js';
import { cmdId, startEngine, submit } from './engine-harness.js';
import { MAX_BRANCH_ROWS } from '../../../src/engine/branch-rows.js';

/** Topic commands through the engine (exactly once, durable before the reply) and msg fan-out. */
const topic = (name: string, change: TopicChange, id = cmdId('topic')): Command => ({ id, gid: topicKey(name), kind: 'topic', change });
const subscribe = (name: string, url: string) => topic(name, { op: 'subscribe', url, remark: '' });
const b64 = (s: string) => Buffer.from(s).toString('base64');

function msgSpec(gid: string, actions: string[], extra: Partial<TransSpec> = {}): TransSpec {
  return {
    gid, transType: 'msg', protocol: 'http', steps: actions.map((action) => ({ action })), payloads: actions.map((_, i) => b64(`{"n":${i}}`)),
    customData: '', queryPrepared: '', options: EMPTY_OPTIONS, rollbackReason: '', ...extra,
  };
}

describe('engine: topics', () => {
  it('subscribe/unsubscribe are events of the topic key; the KV row follows; a redelivered command applies once', async () => {
    const h = await startEngine();
    const first = subscribe('t', 'http://b/1');
    expect(await h.send(first)).toEqual({ ok: true });
    expect(await h.send(first)).toEqual({ ok: true }); // same id: no second event
    expect(await h.send(subscribe('t', 'http://b/1'))).toMatchObject({ ok: false, message: 'this url exists', code: 'DTX_TOPIC_REFUSED' });
    expect(await h.send(subscribe('t', 'http://b/2'))).toEqual({ ok: true });
    expect(await h.send(topic('t', { op: 'unsubscribe', url: 'http://b/9' }))).toMatchObject({ ok: false, message: 'no such an url ' });
    expect(await h.events(topicKey('t'))).toEqual(['TopicSubscribed', 'TopicSubscribed']);
    expect(await h.log.queryKV('topics', 't')).toEqual([expect.objectContaining({ version: 2, v: '[{"url":"http://b/1","remark":""},{"url":"http://b/2","remark":""}]' })]);
    expect((await h.log.list({ limit: 10 })).items).toEqual([]); // a topic is no transaction
  });

  it('a restarted engine folds the topic from its events', async () => {
    const store = new MemoryLogStore();
    const h1 = await startEngine({ store });
    await h1.send(subscribe('r', 'http://b/1'));
    await h1.engine.stop();
    const h2 = await startEngine({ store });
    expect(await h2.send(subscribe('r', 'http://b/1'))).toMatchObject({ ok: false, message: 'this url exists' });
    expect(await h2.send(topic('r', { op: 'delete' }))).toEqual({ ok: true });
    expect(await h2.send(topic('r', { op: 'delete' }))).toMatchObject({ ok: false, message: 'storage: NotFound' });
  });

  it('refuses transaction commands on reserved keys', async () => {
    const h = await startEngine();
    const reply = await h.send(submit(msgSpec('dtx:topic:x', ['http://b/a'])));
    expect(reply).toMatchObject({ ok: false, code: 'DTX_BAD_REQUEST' });
  });

  it('a msg step topic://<name> fans out to the subscribers: 01-01, 01-02; one subscriber: plain id', async () => {
    const h = await startEngine();
    await h.send(subscribe('two', 'http://b/x'));
    await h.send(subscribe('two', 'http://b/y'));
    await h.send(subscribe('one', 'http://b/z'));
    expect(await h.send(submit(msgSpec('m1', ['topic://two', 'http://b/plain', 'topic://one'])))).toEqual({ ok: true });
    expect(await h.status('m1')).toBe('succeed');
    const calls = h.invoker.callsTo('m1').map((c) => `${c.branchId} ${c.url} ${Buffer.from(c.payload).toString()}`);
    expect(calls).toEqual(['01-01 http://b/x {"n":0}', '01-02 http://b/y {"n":0}', '02 http://b/plain {"n":1}', '03 http://b/z {"n":2}']);
    const created = (await h.log.read('m1'))[0]!;
    expect((created.data as { spec: TransSpec }).spec.topicUrls).toEqual({ two: ['http://b/x', 'http://b/y'], one: ['http://b/z'] });
  });

  it('an unknown or emptied topic answers `topic not found` and stores nothing', async () => {
    const h = await startEngine();
    expect(await h.send(submit(msgSpec('m2', ['topic://nobody'])))).toMatchObject({ ok: false, message: 'topic not found', code: 'DTX_TOPIC_NOT_FOUND' });
    await h.send(subscribe('gone', 'http://b/1'));
    await h.send(topic('gone', { op: 'unsubscribe', url: 'http://b/1' }));
    expect(await h.send(submit(msgSpec('m3', ['topic://gone'])))).toMatchObject({ ok: false, message: 'topic not found' });
    expect(await h.log.read('m2')).toEqual([]);
    expect(await h.log.read('m3')).toEqual([]);
  });

  it('the expansion is taken when the msg is created: later changes do not touch it', async () => {
    const h = await startEngine();
    await h.send(subscribe('c', 'http://b/1'));
    const prepared = msgSpec('m4', ['topic://c'], { queryPrepared: 'http://b/qp' });
    expect(await h.send({ id: cmdId('prepare'), gid: 'm4', kind: 'prepare', spec: prepared })).toEqual({ ok: true });
    await h.send(subscribe('c', 'http://b/2'));
    expect(await h.send(submit(prepared))).toEqual({ ok: true });
    expect(h.invoker.callsTo('m4').map((c) => `${c.branchId} ${c.url}`)).toEqual(['01 http://b/1']);
    // a new msg sees the new subscriber at once
    await h.send(submit(msgSpec('m5', ['topic://c'])));
    expect(h.invoker.callsTo('m5').map((c) => `${c.branchId} ${c.url}`)).toEqual(['01-01 http://b/1', '01-02 http://b/2']);
  });

  it('a client cannot smuggle its own expansion in', async () => {
    const h = await startEngine();
    await h.send(subscribe('s', 'http://b/real'));
    await h.send(submit(msgSpec('m6', ['topic://s'], { topicUrls: { s: ['http://evil/'] } })));
    expect(h.invoker.callsTo('m6').map((c) => c.url)).toEqual(['http://b/real']);
  });

  it('the rows a fan-out makes are bounded (maxBranchRows) and charged to MaxOpenPayloadBytes for every step naming the topic', async () => {
    const h = await startEngine();
    for (let i = 0; i < 256; i += 1) await h.send(subscribe('fan', `http://b/s${i}`));
    const refused = await h.send(submit(msgSpec('mf', Array.from({ length: 8 }, () => 'topic://fan'))));
    expect(refused).toEqual({ ok: false, result: 'ERROR', code: 'DTX_BAD_REQUEST', message: `steps: at most ${MAX_BRANCH_ROWS} branch rows per transaction (this would make 2048)` });
    expect(await h.log.read('mf')).toEqual([]);
    const urlBytes = Array.from({ length: 256 }, (_, i) => `http://b/s${i}`.length).reduce((a, b) => a + b, 0);
    h.invoker.hold('01-01/action');
    expect(await h.send(submit(msgSpec('mo', ['topic://fan', 'topic://fan'])))).toEqual({ ok: true });
    expect(h.engine.openPayloadBytes()).toBeGreaterThanOrEqual(2 * urlBytes);
  });
});
