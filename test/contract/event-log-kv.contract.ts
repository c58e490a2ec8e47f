/**
 * KV part of the EventLog contract (docs/topics.md): topic-key records update the KV projection in
 * the same atomic append, `queryKV` / `scanKV` read it (spec §2.4, §9). Registered inside
 * describeEventLog's describe block.
 */
import { describe, expect, it } from 'vitest';
import type { EventLog, LogRecord } from '../../src/log/event-log.js';
import { topicKey } from '../../src/log/kv-records.js';
import { expectRejectCode, rec, summary } from './event-log-builders.js';
import type { EventLogFixture } from './event-log-builders.js';

const T0 = 1_700_000_000_000;

/** A topic-key record as the engine writes it (src/engine/topic-book.ts). */
function topicRec(topic: string, seq: number, type: string, data: Record<string, unknown>, at = T0 + seq): LogRecord {
  return { v: 1, gid: topicKey(topic), seq, type, at, data: { topic, ...data }, cmd: `c-${topic}-${seq}` };
}
const sub = (url: string) => ({ url, remark: `r ${url}` });
const subscribed = (topic: string, seq: number, urls: string[], at?: number) =>
  topicRec(topic, seq, 'TopicSubscribed', { url: urls.at(-1), remark: `r ${urls.at(-1)}`, subscribers: urls.map(sub), version: seq }, at);

export function describeKv(getLog: () => EventLog, getFixture: () => EventLogFixture): void {
  describe('KV projection', () => {
    it('puts, updates and deletes rows from topic records; versions and times come from the records', async () => {
      const log = getLog();
      await log.append([subscribed('t1', 1, ['http://a/1'], T0)], []);
      const [created] = await log.queryKV('topics', 't1');
      expect(created).toEqual({ id: expect.any(Number), cat: 'topics', k: 't1', v: '[{"url":"http://a/1","remark":"r http://a/1"}]', version: 1, createTime: T0, updateTime: T0 });
      await log.append([subscribed('t1', 2, ['http://a/1', 'http://a/2'], T0 + 50), topicRec('t1', 3, 'TopicUnsubscribed', { url: 'http://a/1', subscribers: [sub('http://a/2')], version: 3 }, T0 + 60)], []);
      const [updated] = await log.queryKV('topics', 't1');
      expect(updated).toEqual({ ...created, v: '[{"url":"http://a/2","remark":"r http://a/2"}]', version: 3, updateTime: T0 + 60 });
      expect(await log.read(topicKey('t1'))).toHaveLength(3);
      await log.append([topicRec('t1', 4, 'TopicDeleted', {})], []);
      expect(await log.queryKV('topics', 't1')).toEqual([]);
      // re-created: version 1 again and a new row id, as dtm's store does
      await log.append([subscribed('t1', 5, ['http://a/9'], T0 + 90)], []);
      const [again] = await log.queryKV('topics', 't1');
      expect(again).toMatchObject({ k: 't1', version: 5, createTime: T0 + 90 });
      expect(again!.id).not.toBe(created!.id);
    });

    it('keeps a topic row whose last subscriber left (v `[]`)', async () => {
      const log = getLog();
      await log.append([subscribed('e', 1, ['http://a/1']), topicRec('e', 2, 'TopicUnsubscribed', { url: 'http://a/1', subscribers: [], version: 2 })], []);
      expect(await log.queryKV('topics', 'e')).toEqual([expect.objectContaining({ v: '[]', version: 2 })]);
    });

    it('writes nothing of a rejected batch, KV rows included', async () => {
      const log = getLog();
      await log.append([subscribed('x', 1, ['http://a/1'])], []);
      // one key, so one partition on Kafka too: seq 1 repeated after a new change
      await expectRejectCode(log.append([subscribed('x', 2, ['http://a/1', 'http://a/2']), subscribed('x', 1, ['http://a/9'])], []), 'DTX_INTERNAL');
      expect(await log.queryKV('topics', 'x')).toEqual([expect.objectContaining({ version: 1, v: '[{"url":"http://a/1","remark":"r http://a/1"}]' })]);
      expect(await log.read(topicKey('x'))).toHaveLength(1);
    });

    it('ignores records of transactions and events of other types', async () => {
      const log = getLog();
      await log.append([rec('tx', 1, { type: 'TopicSubscribed', data: { topic: 'tx', subscribers: [], version: 1 } })], [summary('tx')]);
      expect(await log.queryKV('', '')).toEqual([]);
      expect((await log.list({ limit: 10 })).items.map((s) => s.gid)).toEqual(['tx']);
    });

    it('queryKV: "" matches any cat or key; unknown keys give []', async () => {
      const log = getLog();
      await log.append(['b', 'a', 'c'].map((t) => subscribed(t, 1, [`http://x/${t}`])), []);
      expect((await log.queryKV('topics', '')).map((r) => r.k)).toEqual(['a', 'b', 'c']);
      expect((await log.queryKV('', '')).map((r) => r.k)).toEqual(['a', 'b', 'c']);
      expect((await log.queryKV('', 'b')).map((r) => r.k)).toEqual(['b']);
      expect(await log.queryKV('topics', 'nope')).toEqual([]);
      expect(await log.queryKV('other', 'a')).toEqual([]);
    });

    it('scanKV pages in key order with the last key as cursor (spec §15.3 TestAPIScanKV)', async () => {
      const log = getLog();
      await log.append(['k3', 'k1', 'k4', 'k2', 'é', 'Z'].map((t) => subscribed(t, 1, ['http://x/1'])), []);
      const p1 = await log.scanKV('topics', '', 1);
      expect(p1.rows.map((r) => r.k)).toEqual(['Z']);
      expect(p1.nextPosition).not.toBe('');
      const p2 = await log.scanKV('topics', p1.nextPosition, 2);
      expect(p2.rows.map((r) => r.k)).toEqual(['k1', 'k2']);
      expect(p2.nextPosition).not.toBe(p1.nextPosition);
      const rest = await log.scanKV('topics', p2.nextPosition, 100);
      expect(rest).toEqual({ rows: [expect.objectContaining({ k: 'k3' }), expect.objectContaining({ k: 'k4' }), expect.objectContaining({ k: 'é' })], nextPosition: '' });
      expect((await log.scanKV('topics', '', 6)).nextPosition).toBe('é');
      expect(await log.scanKV('topics', 'é', 6)).toEqual({ rows: [], nextPosition: '' });
      expect(await log.scanKV('', '', 10)).toEqual({ rows: [], nextPosition: '' });
      await expectRejectCode(log.scanKV('topics', '', 0), 'DTX_BAD_REQUEST');
    });

    it('keeps KV rows across a reopen', async (ctx) => {
      const fx = getFixture();
      if (fx.reopen === undefined) return ctx.skip('adapter has no reopen');
      await getLog().append([subscribed('d', 1, ['http://a/1']), subscribed('d', 2, ['http://a/1', 'http://a/2'])], []);
      const before = await getLog().queryKV('topics', 'd');
      const log = await fx.reopen();
      expect(await log.queryKV('topics', 'd')).toEqual(before);
      expect(before[0]?.version).toBe(2);
    });
  });
}
