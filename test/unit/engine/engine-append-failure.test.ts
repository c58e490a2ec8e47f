import { describe, expect, it } from 'vitest';
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
});
