import { describe, expect, it } from 'vitest';
import { settle } from '../../support/simulated-clock.js';
import { ERROR, sagaSpec, startEngine, submit } from './engine-harness.js';

/** Every engine timer runs on the simulated clock: timeouts, retries and wait_result deadlines. */
describe('engine: time', () => {
  it('timeout_to_fail: the timer wheel turns a stuck saga to aborting, compensations run in reverse', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('02/action');
    await h.send(submit(sagaSpec('t1', [['http://b/a1', 'http://b/c1'], ['http://b/a2', 'http://b/c2']], { timeoutToFail: 5 })));
    await h.clock.advance(4999);
    expect(await h.status('t1')).toBe('submitted');
    await h.clock.advance(1);
    expect(await h.status('t1')).toBe('aborting');
    // the action in flight may have executed: once its call ends (here its request timeout), both compensate
    release(ERROR);
    await h.clock.advance(1);
    expect(h.invoker.calls.filter((c) => c.gid === 't1').map((c) => `${c.branchId}/${c.op}`)).toEqual(['01/action', '02/action', '02/compensate', '01/compensate']);
    expect(await h.status('t1')).toBe('failed');
    expect(await h.events('t1')).toContain('CronFired');
  });

  it('an ERROR is retried after the backoff interval, not before', async () => {
    const h = await startEngine();
    let answers = 0;
    h.invoker.on('01/action', () => (++answers < 3 ? ERROR : { result: 'SUCCESS', message: '' }));
    await h.send(submit(sagaSpec('b1', [['http://b/a', '']], { retryInterval: 2 })));
    expect(h.invoker.callsTo('b1')).toHaveLength(1);
    await h.clock.advance(3999); // backoff doubles 2 s -> 4 s
    expect(h.invoker.callsTo('b1')).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.invoker.callsTo('b1')).toHaveLength(2);
    await h.clock.advance(8000);
    expect(h.invoker.callsTo('b1')).toHaveLength(3);
    expect(await h.status('b1')).toBe('succeed');
  });

  it('wait_result answers when the pass settles, or at the pass deadline on the clock', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('01/action');
    const settled = h.engine.dispatch(submit(sagaSpec('w1', [['http://b/a', '']], { waitResult: true })), true);
    await settle();
    release({ result: 'SUCCESS', message: '' });
    await h.clock.advance(10);
    expect(await settled).toEqual({ ok: true });

    h.invoker.hold('01/action');
    const deadline = h.engine.dispatch(submit(sagaSpec('w2', [['http://b/a', '']], { waitResult: true })), true);
    let answered = false;
    void deadline.then(() => (answered = true));
    await settle(); // decided and appended at the current instant
    await h.clock.advance(4999); // max(RequestTimeout 3, request_timeout 0) + 2 s
    expect(answered).toBe(false);
    await h.clock.advance(1);
    expect(answered).toBe(true);
    expect(await h.status('w2')).toBe('submitted');
  });

  it('a prepared msg is queried back exactly at create_time + timeout_to_fail', async () => {
    const h = await startEngine();
    const spec = { ...sagaSpec('q1', [['http://b/m', '']]), transType: 'msg', queryPrepared: 'http://b/query', options: { ...sagaSpec('q1', []).options, timeoutToFail: 7 } };
    expect((await h.send({ id: 'prep:q1', gid: 'q1', kind: 'prepare', spec })).ok).toBe(true);
    await h.clock.advance(6999);
    expect(h.invoker.callsTo('q1')).toHaveLength(0);
    await h.clock.advance(1);
    expect(h.invoker.callsTo('q1').map((c) => `${c.branchId}/${c.op}`)).toEqual(['00/msg', '01/action']);
    expect(await h.status('q1')).toBe('succeed');
  });

  it('the submit of a prepared msg has its custom_data checked as a creation does: a delay out of range is a 400, the msg stays prepared', async () => {
    const h = await startEngine();
    const spec = { ...sagaSpec('d1', [['http://b/m', '']]), transType: 'msg', queryPrepared: 'http://b/query' };
    expect((await h.send({ id: 'prep:d1', gid: 'd1', kind: 'prepare', spec })).ok).toBe(true);
    for (const delay of ['1e300', '99999999999', '-1']) {
      const reply = await h.send(submit({ ...spec, customData: `{"delay":${delay}}` }));
      expect(reply, delay).toMatchObject({ ok: false, code: 'DTX_BAD_REQUEST', message: expect.stringMatching(/^custom_data\.delay must be an integer 0\.\./) });
    }
    expect(await h.status('d1')).toBe('prepared');
    expect(await h.send(submit({ ...spec, customData: '{"delay":3}' }))).toEqual({ ok: true });
    expect(h.invoker.callsTo('d1')).toHaveLength(0);
    await h.clock.advance(3000);
    expect(h.invoker.callsTo('d1').map((c) => `${c.branchId}/${c.op}`)).toEqual(['01/action']);
  });
});
