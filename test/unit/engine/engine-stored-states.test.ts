import { describe, expect, it } from 'vitest';
import { createBuiltinRegistry } from '../../../machines/index.js';
import { foldRecords } from '../../../src/engine/live-transaction.js';
import { renderView } from '../../../src/engine/trans-view.js';
import { MemoryLogStore } from '../../../src/log/memory/memory-event-log.js';
import { cmdId, ERROR, sagaSpec, ScriptedInvoker, startEngine, submit, type Harness } from './engine-harness.js';

/**
 * Stored states (EngineSettings.stateEvery): a transaction retried for a long time grows its events
 * without end, and recovery folded them all (2,000,000 retries: 49 s and 1.2 GB before a restart
 * answered). Every `stateEvery` events its machine state goes to the log with its row, and a
 * restart rebuilds it from the newest state and the events after it, to the same state.
 */
const reset = (gid: string) => ({ id: cmdId('reset'), gid, kind: 'resetNextCronTime' as const });

/** resetNextCronTime and the cron pass it brings: CronReset, CronFired, then the call's result. */
async function retryNow(h: Harness, gid: string): Promise<void> {
  await h.send(reset(gid));
  await h.clock.advance(1);
}

/** The view `query` answers for `gid`. */
async function queried(h: Harness, gid: string): Promise<string | undefined> {
  const reply = await h.send({ id: cmdId('query'), gid, kind: 'query' });
  return reply.ok ? reply.view : undefined;
}

/** The view a full fold of `gid`'s stored events renders: what recovery must reach from any state. */
async function foldedView(h: Harness, gid: string): Promise<string> {
  const live = foldRecords(createBuiltinRegistry(), gid, await h.log.read(gid))!;
  return renderView(live.context, live.status, live.parked);
}

describe('stored states', () => {
  it('a long retried transaction is stored with its state every stateEvery events and recovers from the newest', async () => {
    const store = new MemoryLogStore();
    const first = await startEngine({ store, settings: { stateEvery: 4 } });
    first.invoker.on('01/action', ERROR);
    await first.send(submit(sagaSpec('long', [['http://b/a', 'http://b/c']], { retryInterval: 60 })));
    for (let i = 0; i < 6; i++) await retryNow(first, 'long');
    await first.send(reset('long')); // its cron pass never comes: the engine "crashes" first
    const all = await first.log.read('long');
    expect(all.length).toBe(21);
    const tail = await first.log.readTail('long');
    expect(tail.state?.seq).toBe(20);
    expect(tail.records.map((r) => r.seq)).toEqual(all.filter((r) => r.seq > tail.state!.seq).map((r) => r.seq));
    const before = await queried(first, 'long');

    // a restart: the same store, a branch that now succeeds
    const invoker = new ScriptedInvoker();
    const second = await startEngine({ store, invoker, clock: first.clock, settings: { stateEvery: 4 } });
    expect(second.recovery).toMatchObject({ transactions: 1, events: 1 });
    expect(await queried(second, 'long')).toBe(before);
    expect(before).toBe(await foldedView(second, 'long'));
    await retryNow(second, 'long');
    expect(await second.status('long')).toBe('succeed');
    const after = await second.log.read('long');
    expect(after.map((r) => r.seq)).toEqual(Array.from({ length: after.length }, (_, i) => i + 1)); // no gap, no repeat
    expect(after.slice(21).map((r) => r.type)).toEqual(['CronReset', 'CronFired', 'BranchSucceeded']);
  });

  it('a transaction loaded for a command (not in memory) is rebuilt from its state too', async () => {
    const store = new MemoryLogStore();
    const h = await startEngine({ store, settings: { stateEvery: 2 } });
    h.invoker.on('01/action', ERROR);
    await h.send(submit(sagaSpec('fin', [['http://b/a', '']], { retryInterval: 60 })));
    await retryNow(h, 'fin');
    await h.send({ id: cmdId('stop'), gid: 'fin', kind: 'forceStop' });
    expect(await h.status('fin')).toBe('failed');
    const state = (await h.log.readTail('fin')).state!;
    expect(state).toBeDefined();
    // the events the state covers are dropped from the store: only the state and the tail can rebuild it
    for (let seq = 1; seq <= state.seq; seq++) store.events.get('fin')!.delete(seq);
    // a fresh engine holds no finished transaction: forceStop again loads it from its state and refuses as dtm does
    const again = await startEngine({ store, settings: { stateEvery: 2 } });
    expect(again.recovery.transactions).toBe(0);
    const reply = await again.send({ id: cmdId('stop'), gid: 'fin', kind: 'forceStop' });
    expect(reply).toMatchObject({ ok: false, message: expect.stringMatching(/force stop error. status: failed/) });
  });

  it('stores no state without stateEvery', async () => {
    const store = new MemoryLogStore();
    const h = await startEngine({ store });
    h.invoker.on('01/action', ERROR);
    await h.send(submit(sagaSpec('none', [['http://b/a', '']], { retryInterval: 60 })));
    for (let i = 0; i < 4; i++) await retryNow(h, 'none');
    expect(store.states.size).toBe(0);
  });
});
