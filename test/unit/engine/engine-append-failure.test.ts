import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { APPEND_FAILURE_LOG_MS } from '../../../src/engine/engine-hooks.js';
import { ERROR, sagaSpec, startEngine, submit, cmdId } from './engine-harness.js';

/**
 * Append failures at every point of a transaction's life (core issue): a failed append leaves no
 * trace in memory, client commands get a retryable 503, internal ones (branch results, cron
 * passes) are retried once the log is back and then applied as if the failure never happened.
 */
describe('engine: a failed append leaves no trace', () => {
  it('a branch result whose append failed is retried and applied (the remembered-id bug)', async () => {
    const h = await startEngine();
    const spec = sagaSpec('r1', [['http://b/a', 'http://b/c']]);
    h.log.failNext((records) => records.some((r) => r.type === 'BranchSucceeded'));
    expect((await h.send(submit(spec))).ok).toBe(true);
    expect(h.invoker.callsTo('r1')).toHaveLength(1);
    expect(await h.events('r1')).toEqual(['TransCreated']);
    // the result is re-enqueued after 1 s on the engine's clock, with the same command id
    await h.clock.advance(1000);
    expect(await h.events('r1')).toEqual(['TransCreated', 'BranchSucceeded']);
    expect(await h.status('r1')).toBe('succeed');
    expect(h.invoker.callsTo('r1')).toHaveLength(1);
  });

  it('a failed creation answers 503 and leaves nothing: the same submit succeeds afterwards', async () => {
    const h = await startEngine();
    const spec = sagaSpec('c1', [['http://b/a', '']]);
    h.log.failNext();
    const first = await h.send(submit(spec));
    expect(first).toMatchObject({ ok: false, code: 'DTX_LOG_UNAVAILABLE' });
    expect(h.invoker.calls).toHaveLength(0);
    expect(h.engine.liveCount()).toBe(0);
    expect(h.engine.openPayloadBytes()).toBe(0);
    expect((await h.send(submit(spec))).ok).toBe(true);
    expect(await h.events('c1')).toEqual(['TransCreated', 'BranchSucceeded']);
  });

  it('a failed abort/forceStop changes nothing; retried, it applies', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('01/action');
    await h.send(submit(sagaSpec('f1', [['http://b/a', 'http://b/c']])));
    h.log.failNext();
    expect(await h.send({ id: cmdId('fs'), gid: 'f1', kind: 'forceStop' })).toMatchObject({ ok: false, code: 'DTX_LOG_UNAVAILABLE' });
    expect(await h.status('f1')).toBe('submitted');
    expect((await h.send({ id: cmdId('fs'), gid: 'f1', kind: 'forceStop' })).ok).toBe(true);
    expect(await h.status('f1')).toBe('failed');
    release({ result: 'SUCCESS', message: '' });
    await h.clock.advance(10);
    expect(await h.events('f1')).toEqual(['TransCreated', 'TransForceStopped']);
  });

  it('a failed cron pass is retried; the pass then calls the branch again', async () => {
    const h = await startEngine();
    h.invoker.on('01/action', ERROR);
    await h.send(submit(sagaSpec('k1', [['http://b/a', '']], { retryInterval: 5 })));
    expect(await h.events('k1')).toEqual(['TransCreated', 'BranchErrored']);
    h.log.failNext((records) => records.some((r) => r.type === 'CronFired'));
    await h.clock.advance(10_000); // backoff: 5 s doubled
    expect(h.invoker.callsTo('k1')).toHaveLength(1);
    await h.clock.advance(1000); // the cron command is retried after 1 s
    expect(h.invoker.callsTo('k1')).toHaveLength(2);
    expect((await h.events('k1')).filter((e) => e === 'CronFired')).toHaveLength(1);
  });

  it('one failed batch of several transactions fails them all; each recovers on its own', async () => {
    const h = await startEngine();
    h.log.failNext();
    const replies = await Promise.all(['m1', 'm2', 'm3'].map((g) => h.engine.dispatch(submit(sagaSpec(g, [['', '']])))));
    expect(replies.every((r) => !r.ok)).toBe(true);
    const again = await Promise.all(['m1', 'm2', 'm3'].map((g) => h.send(submit(sagaSpec(g, [['', '']])))));
    expect(again.every((r) => r.ok)).toBe(true);
    for (const g of ['m1', 'm2', 'm3']) expect(await h.status(g)).toBe('succeed');
  });

  it(`counts every failed batch and logs one line per ${APPEND_FAILURE_LOG_MS / 1000} s of the same failure, with how many it stood for`, async () => {
    const lines: Array<{ msg: string; recurred: number; partition: number }> = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        const line = JSON.parse(chunk.toString()) as (typeof lines)[number];
        if (line.msg.startsWith('append')) lines.push(line); // not the info lines of finished transactions
        done();
      },
    });
    const codes: string[] = [];
    const h = await startEngine({ logger: pino({ level: 'info' }, sink), observer: { appendFailed: (code) => codes.push(code) } });
    // one after the other: each submit is a commit of its own, failed by the log
    const submits = async (prefix: string, n: number) => {
      const replies = [];
      for (let i = 0; i < n; i++) {
        h.log.failNext();
        replies.push(await h.send(submit(sagaSpec(`${prefix}${i}`, [['', '']]))));
      }
      return replies;
    };
    expect((await submits('a', 5)).every((r) => !r.ok)).toBe(true);
    expect(codes).toEqual(Array(5).fill('DTX_LOG_UNAVAILABLE'));
    expect(lines.map((l) => [l.msg, l.recurred])).toEqual([['append failed; batch rejected', 0]]);
    await h.clock.advance(APPEND_FAILURE_LOG_MS - 1);
    await submits('b', 2);
    expect(lines).toHaveLength(1);
    await h.clock.advance(1);
    await submits('c', 1);
    expect(lines.map((l) => [l.msg, l.recurred])).toEqual([['append failed; batch rejected', 0], ['append failed; batch rejected (6 more like it since the last line)', 6]]);
    expect(typeof lines[1]!.partition).toBe('number');
    expect(codes).toHaveLength(8);
    // the next commit that succeeds says so, once per window too: failures and successes that alternate write two lines, not one each
    expect((await h.send(submit(sagaSpec('ok1', [['', '']])))).ok).toBe(true);
    await submits('d', 1);
    expect((await h.send(submit(sagaSpec('ok2', [['', '']])))).ok).toBe(true);
    expect(lines.slice(2).map((l) => l.msg)).toEqual(['appends succeed again']);
    await h.clock.advance(APPEND_FAILURE_LOG_MS);
    await submits('e', 1);
    expect((await h.send(submit(sagaSpec('ok3', [['', '']])))).ok).toBe(true);
    expect(lines.slice(3).map((l) => l.msg)).toEqual(['append failed; batch rejected (1 more like it since the last line)', 'appends succeed again']);
  });
});
