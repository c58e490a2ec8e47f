import { describe, expect, it } from 'vitest';
import { createBuiltinRegistry, EMPTY_CONTEXT, sagaMachine, sagaType, transSetup, type TransTypeDefinition } from '../../../machines/index.js';
import { foldRecords, LiveTransaction } from '../../../src/engine/live-transaction.js';
import { eventOfRecord } from '../../../src/engine/live-transaction.js';
import { stepMachine } from '../../../src/engine/machine-step.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/**
 * The engine steps the built-in types through their flat fold and everything else through XState
 * (machine-step.ts); the exact audit folds through XState only. Both give the same transaction
 * after every event (the flat fold's identity with XState is proven in flat-machine.test.ts; this
 * checks the engine is wired to it, and back to XState where it must be).
 */

const isXstate = (s: object) => 'machine' in s;

describe('machine step: the engine fold and the exact fold', () => {
  it('fold every golden log to the same status, context and effects after every event', () => {
    const registry = goldenRegistry();
    for (const file of goldenFiles()) {
      const records = readGoldenLog(file);
      const gid = records[0]!.gid;
      const engine = foldRecords(registry, gid, [records[0]!])!;
      const def = engine.def;
      const exact = LiveTransaction.empty(gid, def, 'xstate');
      exact.apply(records[0]!);
      for (const r of records.slice(1)) {
        if (r.type === 'TransParked') continue;
        const e = eventOfRecord(r);
        const [a, ea] = engine.step(e);
        const [b, eb] = exact.step(e);
        expect(a.value, `${file} seq ${r.seq}`).toEqual(b.value);
        expect(JSON.stringify(a.context), `${file} seq ${r.seq}`).toBe(JSON.stringify(b.context));
        expect(JSON.stringify(ea), `${file} seq ${r.seq}`).toBe(JSON.stringify(eb));
        engine.apply(r);
        exact.apply(r);
      }
      expect(isXstate(exact.snapshot), file).toBe(true);
    }
  });

  it('steps built-in types without XState, custom types with it', () => {
    const records = readGoldenLog(goldenFiles().find((f) => f.startsWith('saga-'))!);
    const saga = foldRecords(createBuiltinRegistry(), records[0]!.gid, records)!;
    expect(saga.def).toBe(sagaType);
    expect(isXstate(saga.snapshot)).toBe(false);
    const custom: TransTypeDefinition = { name: 'mysaga', machine: transSetup.createMachine({ ...(sagaMachine.config as object), id: 'mysaga', context: () => ({ ...EMPTY_CONTEXT, transType: 'mysaga' }) } as never) as unknown as TransTypeDefinition['machine'] };
    const live = LiveTransaction.empty('g-custom', custom);
    const renamed = JSON.parse(JSON.stringify(records[0]!).replace('"transType":"saga"', '"transType":"mysaga"'));
    live.apply(renamed);
    expect(isXstate(live.snapshot)).toBe(true);
  });

  it('an xstate step of a flat snapshot resolves it first (the fallback path)', () => {
    const records = readGoldenLog(goldenFiles().find((f) => f.startsWith('saga-'))!);
    const live = foldRecords(createBuiltinRegistry(), records[0]!.gid, records.slice(0, 2))!;
    expect(isXstate(live.snapshot)).toBe(false);
    const e = eventOfRecord(records[2]!);
    const [flat] = stepMachine(sagaType, live.snapshot, e, 'engine');
    const [viaXstate] = stepMachine(sagaType, live.snapshot, e, 'xstate');
    expect(isXstate(viaXstate)).toBe(true);
    expect(viaXstate.value).toEqual(flat.value);
    expect(JSON.stringify(viaXstate.context)).toBe(JSON.stringify(flat.context));
  });
});
