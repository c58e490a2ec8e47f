import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assign, createMachine, enqueueActions, initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { FlatMachine, FlatUnsupported, type FlatEffect, type FlatSnapshot } from '../../../src/engine/flat-machine.js';
import { eventOfRecord } from '../../../src/engine/live-transaction.js';
import { EMPTY_CONTEXT, newRow, type CallBranchParams, type TransContext, type TransEvent, type TransSpec } from '../../../machines/index.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';
import { LIMITS, T0 } from '../machines/builders.js';
import { TYPES, eventOf, scenarioArb, specOf } from './flat-scenarios.js';

/**
 * The flat fold (src/engine/flat-machine.ts) is identical to xstate's `transition`: the same state
 * value, context (JSON text: same keys, same order, same values) and effects after every event, on
 * every golden log and on generated event sequences of every type dtx ships (the built-ins and the
 * quorum example), including events the machines reject and events no engine would persist.
 */

const registry = goldenRegistry();

function flatOf(machine: AnyStateMachine): FlatMachine {
  const f = FlatMachine.compile(machine);
  if (typeof f === 'string') throw new Error(`${machine.id} does not compile: ${f}`);
  return f;
}

interface Outcome {
  readonly threw: boolean;
  readonly value?: string;
  readonly context?: string;
  readonly effects?: string;
}

function xstateStep(machine: AnyStateMachine, s: AnyMachineSnapshot, e: TransEvent): [AnyMachineSnapshot | undefined, Outcome, FlatEffect[]] {
  try {
    const [next, actions] = transition(machine, s, e);
    const effects = actions.map((a) => ({ type: a.type, params: a.params }));
    return [next, { threw: false, value: String(next.value), context: JSON.stringify(next.context), effects: JSON.stringify(effects) }, effects];
  } catch {
    return [undefined, { threw: true }, []];
  }
}

function flatStep(flat: FlatMachine, s: FlatSnapshot, e: TransEvent): [FlatSnapshot | undefined, Outcome] {
  const effects: FlatEffect[] = [];
  try {
    const next = flat.transition(s, e, effects);
    return [next, { threw: false, value: next.value, context: JSON.stringify(next.context), effects: JSON.stringify(effects) }];
  } catch (err) {
    if (err instanceof FlatUnsupported) throw err; // the built-in machines never need XState
    return [undefined, { threw: true }];
  }
}

/**
 * Folds `events` both ways, comparing after each one. Like the engine, a rejected event leaves the
 * snapshot as it was (`engineRule`); a replay folds every event (`engineRule` false).
 */
function foldBoth(machine: AnyStateMachine, events: readonly TransEvent[], engineRule: boolean, onEffects?: (e: FlatEffect[]) => void): number {
  const flat = flatOf(machine);
  let xs = initialTransition(machine)[0];
  let fs: FlatSnapshot = flat.initial;
  expect(JSON.stringify(fs.context)).toBe(JSON.stringify(xs.context));
  expect(fs.value).toBe(xs.value);
  let n = 0;
  for (const e of events) {
    const [xn, xo, effects] = xstateStep(machine, xs, e);
    const [fn, fo] = flatStep(flat, fs, e);
    expect(fo, `event ${n + 1} ${e.type}`).toEqual(xo);
    n += 1;
    if (xn === undefined || fn === undefined) break;
    onEffects?.(effects);
    if (engineRule && effects.some((x) => x.type === 'reject')) continue;
    xs = xn;
    fs = fn;
  }
  return n;
}

const CONTEXT_KEYS = Object.keys(EMPTY_CONTEXT);
const ROW_KEYS = Object.keys(newRow('01', 'action', '', '', 0));

/** The built-in machines' steps never add or remove a key (EMPTY_CONTEXT): one hidden class for all contexts. */
function expectCanonicalShape(ctx: TransContext): void {
  expect(Object.keys(ctx)).toEqual(CONTEXT_KEYS);
  for (const r of ctx.branches) expect(Object.keys(r)).toEqual(ROW_KEYS);
}

describe('flat fold', () => {
  it('compiles every machine dtx ships', () => {
    for (const name of TYPES) expect(FlatMachine.compile(registry.get(name)!.machine), name).toBeInstanceOf(FlatMachine);
  });

  it.each(goldenFiles())('%s: the same snapshot and effects after every event', (file) => {
    const records = readGoldenLog(file).filter((r) => r.type !== 'TransParked');
    const spec = (records[0]!.data as { spec: TransSpec }).spec;
    expect(foldBoth(registry.get(spec.transType)!.machine, records.map(eventOfRecord), false)).toBe(records.length);
  });

  it('generated event sequences of every type: the same snapshot and effects after every event', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const machine = registry.get(sc.type)!.machine;
        const calls: CallBranchParams[] = [];
        const spec = specOf(sc);
        const flat = flatOf(machine);
        let xs = initialTransition(machine)[0];
        let fs: FlatSnapshot = flat.initial;
        let now = T0;
        // events are made as the run goes: an answer names one of the calls issued so far (a
        // workflow starts prepared: prepareWorkflow is its only creation)
        for (let i = 0; i <= sc.moves.length; i++) {
          const m = sc.moves[i - 1];
          if (m !== undefined) now += m.dt * 1000;
          const e: TransEvent = m === undefined ? { type: 'TransCreated', at: now, status: sc.submitted && sc.type !== 'workflow' ? 'submitted' : 'prepared', spec, limits: LIMITS } : eventOf(sc, spec, m, now, calls);
          const [xn, xo, effects] = xstateStep(machine, xs, e);
          const [fn, fo] = flatStep(flat, fs, e);
          expect(fo, `event ${i + 1} ${e.type}`).toEqual(xo);
          if (xn === undefined || fn === undefined) return;
          if (sc.type !== 'quorum') expectCanonicalShape(fn.context as TransContext);
          for (const x of effects) if (x.type === 'callBranch') calls.push(x.params as CallBranchParams);
          if (sc.replay || !effects.some((x) => x.type === 'reject')) {
            xs = xn;
            fs = fn;
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('refuses what it does not model, at compile time or while folding', () => {
    const nested = createMachine({ initial: 'a', states: { a: { initial: 'x', states: { x: {} } } } });
    expect(typeof FlatMachine.compile(nested)).toBe('string');
    const delayed = createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    expect(typeof FlatMachine.compile(delayed)).toBe('string');
    const final = createMachine({ initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } });
    expect(typeof FlatMachine.compile(final)).toBe('string');
    const raising = createMachine({
      initial: 'a',
      context: { n: 0 },
      states: { a: { on: { GO: { actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'GO' })) } } } },
    });
    const flat = FlatMachine.compile(raising);
    expect(flat).toBeInstanceOf(FlatMachine);
    expect(() => (flat as FlatMachine).transition((flat as FlatMachine).initial, { type: 'GO' })).toThrow(FlatUnsupported);
  });

  it('assign, entry/exit order, self targets and eventless loops behave as in xstate', () => {
    // typed loosely: xstate infers the action's context from the callback, not from the machine below
    const log = (tag: string): never => assign(({ context }: { context: { trail: string } }) => ({ trail: `${context.trail}${tag}` })) as never;
    const machine = createMachine({
      types: {} as { context: { trail: string; n: number }; events: { type: 'GO' } | { type: 'SELF' } | { type: 'RE' } | { type: 'NOOP' } },
      initial: 'a',
      context: { trail: '', n: 0 },
      states: {
        a: { exit: log('<a'), on: { GO: { target: 'b', actions: log('ab') }, SELF: { target: 'a', actions: log('s') }, RE: { target: 'a', reenter: true, actions: log('r') } }, entry: log('>a') },
        b: {
          entry: [log('>b'), { type: 'named', params: ({ context }: { context: { n: number } }) => ({ n: context.n }) }],
          always: [{ guard: ({ context }) => context.n < 3, actions: assign({ n: ({ context }) => context.n + 1 }) }, { guard: ({ context }) => context.n >= 3, target: 'c' }],
        },
        c: { on: { NOOP: {} } },
      },
    });
    const events = [{ type: 'SELF' }, { type: 'RE' }, { type: 'NOOP' }, { type: 'GO' }, { type: 'NOOP' }] as unknown as TransEvent[];
    expect(foldBoth(machine, events, false)).toBe(events.length);
  });
});
