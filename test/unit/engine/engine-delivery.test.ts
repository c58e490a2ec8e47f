import { describe, expect, it } from 'vitest';
import { MemoryLogStore } from '../../../src/log/memory/memory-event-log.js';
import { partitionOf } from '../../../src/log/gid-partitioner.js';
import { createBuiltinRegistry, cronReset, sagaMachine, sagaType, transSetup, type TransTypeDefinition } from '../../../machines/index.js';
import { cmdId, ERROR, sagaSpec, ScriptedInvoker, startEngine, submit } from './engine-harness.js';

/** Duplicate delivery, recovery re-drive, one transaction that breaks, and finished ones, in-process. */
describe('engine: delivery and recovery', () => {
  it('a command delivered twice is applied once', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('01/action');
    const cmd = submit(sagaSpec('d1', [['http://b/a', '']]));
    await Promise.all([h.send(cmd), h.send(cmd)]);
    const result = { id: 'res:d1:01:action:1', gid: 'd1', kind: 'branchResult' as const, branchId: '01', op: 'action', attempt: 1, result: 'SUCCESS' as const, message: '' };
    await Promise.all([h.send(result), h.send(result)]);
    release({ result: 'SUCCESS', message: '' });
    await h.clock.advance(1);
    expect(await h.events('d1')).toEqual(['TransCreated', 'BranchSucceeded']);
    expect(h.invoker.callsTo('d1')).toHaveLength(1);
  });

  it('a wait_result command delivered again waits for the outcome like the first', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('01/action');
    const cmd = submit(sagaSpec('d2', [['http://b/a', '']]));
    const first = h.send(cmd, true);
    const again = h.send(cmd, true);
    let answered = 0;
    void again.then(() => (answered += 1));
    await h.clock.advance(1);
    expect(answered).toBe(0); // the branch is still out: neither answer may come yet
    release({ result: 'FAILURE', message: 'no' });
    await h.clock.advance(1);
    const failed = { ok: false, result: 'FAILURE' };
    await expect(first).resolves.toMatchObject(failed);
    await expect(again).resolves.toMatchObject(failed);
    expect(h.invoker.callsTo('d2', '01/action')).toHaveLength(1);
  });

  it('tells the deliverer of a wait_result command once it is durable, before the outcome', async () => {
    const h = await startEngine();
    const release = h.invoker.hold('01/action');
    const cmd = submit(sagaSpec('d3', [['http://b/a', '']]));
    const p = partitionOf('d3', 4); // the harness's partitions
    let accepted = 0;
    let answered = false;
    const outcome = h.engine.deliver(p, cmd, true, () => (accepted += 1)).then((r) => ((answered = true), r));
    await h.clock.advance(1);
    expect(accepted).toBe(1);
    expect(answered).toBe(false);
    expect(await h.events('d3')).toEqual(['TransCreated']); // durable when accepted
    release({ result: 'SUCCESS', message: '' });
    await h.clock.advance(1);
    await expect(outcome).resolves.toEqual({ ok: true });
    expect(accepted).toBe(1);
    let told = 0;
    await h.engine.deliver(p, { id: 'q-d3', gid: 'd3', kind: 'query' }, false, () => (told += 1));
    expect(told).toBe(0); // nothing to wait for: only the reply
  });

  it('recovery re-drives exactly the calls that were in flight', async () => {
    const store = new MemoryLogStore();
    const first = await startEngine({ store });
    first.invoker.hold('02/action');
    await first.send(submit(sagaSpec('r1', [['http://b/a1', ''], ['http://b/a2', '']])));
    // the first engine "crashes" here: its held call never answers, a second one opens the same log
    const invoker = new ScriptedInvoker();
    const second = await startEngine({ store, invoker });
    expect(invoker.calls.map((c) => `${c.gid} ${c.branchId}/${c.op} attempt ${c.payload.length > 0 ? 'p' : '-'}`)).toEqual(['r1 02/action attempt p']);
    await second.clock.advance(1);
    expect(await second.status('r1')).toBe('succeed');
    expect(await second.events('r1')).toEqual(['TransCreated', 'BranchSucceeded', 'BranchSucceeded']);
  });

  it('a branch call that throws comes back as an ERROR result instead of hanging', async () => {
    const h = await startEngine();
    h.invoker.on('01/action', () => {
      throw new Error('invoker bug');
    });
    await h.send(submit(sagaSpec('e1', [['http://b/a', '']], { retryInterval: 60 })));
    expect(await h.events('e1')).toEqual(['TransCreated', 'BranchErrored']);
    expect((await h.log.read('e1'))[1]?.data.message).toContain('invoker bug');
  });

  it('a type that breaks while acting parks its transaction; the others go on; forceStop ends it', async () => {
    const registry = createBuiltinRegistry();
    // a custom type with a bug: its due time cannot be computed once a branch answered an error
    registry.register({ ...sagaType, name: 'fragile', dueAt: (ctx) => {
      if (ctx.branches.some((b) => b.blocked)) throw new Error('dueAt bug');
      return ctx.nextCronTime;
    } });
    const h = await startEngine({ registry });
    h.invoker.on('01/action', ERROR);
    expect((await h.send(submit({ ...sagaSpec('p1', [['http://b/a', '']]), transType: 'fragile' }))).ok).toBe(true);
    await h.send(submit(sagaSpec('ok1', [['', '']])));
    expect(await h.status('ok1')).toBe('succeed');
    expect(await h.events('p1')).toEqual(['TransCreated', 'TransParked']);
    const parked = (await h.log.read('p1'))[1]!;
    expect(parked.data.reason).toContain('dueAt bug');
    expect(JSON.parse((await h.log.getSummary('p1'))!.view).transaction.dtx_parked.reason).toContain('dueAt bug');
    // parked: no timer, no more calls
    await h.clock.advance(60_000);
    expect(h.invoker.callsTo('p1')).toHaveLength(1);
    expect((await h.send({ id: cmdId('fs'), gid: 'p1', kind: 'forceStop' })).ok).toBe(true);
    expect(await h.status('p1')).toBe('failed');
  });
});

/**
 * A finished transaction takes no more events (command-decider.ts): its history is complete, which
 * Store.PruneFinishedAfter relies on to delete it while dtx runs. Built-in machines change nothing
 * once finished; a custom machine that would is refused.
 */
const states = sagaMachine.config.states!;
const stickyMachine = transSetup.createMachine({
  ...sagaMachine.config,
  id: 'sticky',
  // a finished saga that still takes resetNextCronTime: a change the engine must refuse
  states: { ...states, succeed: { ...states.succeed, on: { ...states.succeed!.on, CronReset: cronReset } } },
} as unknown as Parameters<typeof transSetup.createMachine>[0]);
const sticky: TransTypeDefinition = { ...sagaType, name: 'sticky', machine: stickyMachine as TransTypeDefinition['machine'] };

describe('a finished transaction', () => {
  it('takes no more events, even from a custom machine that would change it', async () => {
    const registry = createBuiltinRegistry();
    registry.register(sticky);
    const h = await startEngine({ registry });
    const spec = { ...sagaSpec('fin-1', [['http://b/a', '']]), transType: 'sticky' };
    expect((await h.send(submit(spec), true)).ok).toBe(true);
    expect(await h.status('fin-1')).toBe('succeed');
    const before = await h.events('fin-1');
    const reply = await h.send({ id: cmdId('reset'), gid: 'fin-1', kind: 'resetNextCronTime' });
    expect(reply).toMatchObject({ ok: false, code: 'DTX_INVALID_TRANSITION', message: expect.stringContaining('a finished transaction takes no more events') });
    expect(await h.events('fin-1')).toEqual(before);
  });

  it('a built-in one answers as before (nothing recorded)', async () => {
    const h = await startEngine();
    expect((await h.send(submit(sagaSpec('fin-2', [['http://b/a', '']])), true)).ok).toBe(true);
    const before = await h.events('fin-2');
    expect((await h.send({ id: cmdId('reset'), gid: 'fin-2', kind: 'resetNextCronTime' })).ok).toBe(true);
    expect(await h.events('fin-2')).toEqual(before);
  });
});
