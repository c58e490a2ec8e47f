import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assign, createMachine, enqueueActions, initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { FlatMachine, FlatUnsupported, type FlatEffect, type FlatSnapshot } from '../../../src/engine/flat-machine.js';
import { eventOfRecord } from '../../../src/engine/live-transaction.js';
import { EMPTY_CONTEXT, newRow, type CallBranchParams, type CallResult, type TransContext, type TransEvent, type TransSpec } from '../../../machines/index.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';
import { LIMITS, T0, makeSpec, msgSteps, sagaSteps } from '../machines/builders.js';
import { custom, RESUME } from '../machines/workflow-builders.js';

/**
 * The flat fold (src/engine/flat-machine.ts) is identical to xstate's `transition`: the same state
 * value, context (JSON text: same keys, same order, same values) and effects after every event, on
 * every golden log and on generated event sequences of every type dtx ships (the built-ins and the
 * quorum example), including events the machines reject and events no engine would persist.
 */

const registry = goldenRegistry();
const TYPES = ['saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum'] as const;
type TypeName = (typeof TYPES)[number];

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

interface Scenario {
  readonly type: TypeName;
  readonly steps: number;
  readonly emptyUrl: readonly boolean[];
  readonly submitted: boolean;
  readonly customKind: number;
  readonly retryLimit: number;
  readonly timeoutToFail: number;
  readonly concurrent: boolean;
  /** fold every event (replay) rather than keep the snapshot on a reject (engine) */
  readonly replay: boolean;
  readonly moves: readonly Move[];
}

type Move =
  | { readonly kind: 'answer'; readonly dt: number; readonly pick: number; readonly outcome: CallResult; readonly stale: boolean }
  | { readonly kind: 'cron' | 'forceStop' | 'cronReset' | 'createAgain'; readonly dt: number }
  | { readonly kind: 'submit'; readonly dt: number; readonly variant: number }
  | { readonly kind: 'abort'; readonly dt: number; readonly requestType: string; readonly reason: string }
  | { readonly kind: 'register'; readonly dt: number; readonly branch: number; readonly requestType: string; readonly variant: number }
  | { readonly kind: 'stray'; readonly dt: number; readonly branch: number; readonly op: string; readonly attempt: number; readonly outcome: CallResult };

const outcomeArb = fc.constantFrom<CallResult>('SUCCESS', 'FAILURE', 'ONGOING', 'ERROR');
const typeNameArb = fc.constantFrom('saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum', 'other');
const moveArb: fc.Arbitrary<Move> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('answer' as const), dt: fc.integer({ min: 0, max: 5 }), pick: fc.nat(), outcome: outcomeArb, stale: fc.integer({ min: 0, max: 7 }).map((x) => x === 0) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('cron' as const), dt: fc.integer({ min: 0, max: 90 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('forceStop' as const, 'cronReset' as const, 'createAgain' as const), dt: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('submit' as const), dt: fc.integer({ min: 0, max: 10 }), variant: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), dt: fc.integer({ min: 0, max: 10 }), requestType: typeNameArb, reason: fc.constantFrom('', 'no stock') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('register' as const), dt: fc.integer({ min: 0, max: 5 }), branch: fc.integer({ min: 0, max: 4 }), requestType: typeNameArb, variant: fc.integer({ min: 0, max: 5 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('stray' as const), dt: fc.integer({ min: 0, max: 5 }), branch: fc.integer({ min: 0, max: 4 }), op: fc.constantFrom('action', 'compensate', 'confirm', 'cancel', 'commit', 'rollback', 'transfer'), attempt: fc.integer({ min: 0, max: 3 }), outcome: outcomeArb }),
  },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 4 }).chain((steps) =>
  fc.record({
    type: fc.constantFrom<TypeName>(...TYPES),
    steps: fc.constant(steps),
    emptyUrl: fc.array(fc.integer({ min: 0, max: 5 }).map((x) => x === 0), { minLength: steps, maxLength: steps }),
    submitted: fc.boolean(),
    customKind: fc.integer({ min: 0, max: 3 }),
    retryLimit: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
    timeoutToFail: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
    concurrent: fc.boolean(),
    replay: fc.boolean(),
    moves: fc.array(moveArb, { maxLength: 40 }),
  }),
);

const idOf = (i: number) => String(i + 1).padStart(2, '0');

function specOf(sc: Scenario): TransSpec {
  const steps = (sc.type === 'msg' ? msgSteps(sc.steps) : sagaSteps(sc.steps)).map((s, k) => (sc.emptyUrl[k] ? Object.fromEntries(Object.keys(s).map((key) => [key, ''])) : s));
  const options = { retryLimit: sc.retryLimit, timeoutToFail: sc.timeoutToFail, concurrent: sc.type === 'msg' && sc.concurrent };
  switch (sc.type) {
    case 'saga':
      return makeSpec({ steps, options, customData: [undefined, { concurrent: true }, { orders: { 1: [0] } }, { concurrent: true, orders: { 1: [0] } }][sc.customKind] });
    case 'msg':
      return makeSpec({ transType: 'msg', steps, options, queryPrepared: sc.customKind > 1 ? 'http://busi.test/api/query' : '' });
    case 'quorum':
      return makeSpec({ transType: 'quorum', steps, options, customData: sc.customKind === 0 ? '' : { quorum: Math.min(sc.steps, sc.customKind) } });
    case 'workflow':
      return makeSpec({ transType: 'workflow', steps: [], payloads: [], options, customData: custom(), queryPrepared: RESUME });
    default:
      return makeSpec({ transType: sc.type, steps: [], payloads: [], options });
  }
}

function eventOf(sc: Scenario, spec: TransSpec, m: Move, at: number, calls: readonly CallBranchParams[]): TransEvent {
  switch (m.kind) {
    case 'answer': {
      const c = calls[m.pick % Math.max(1, calls.length)];
      if (c === undefined) return { type: 'CronFired', at };
      const type = ({ SUCCESS: 'BranchSucceeded', FAILURE: 'BranchFailed', ONGOING: 'BranchOngoing', ERROR: 'BranchErrored' } as const)[m.outcome];
      return { type, at, branchId: c.branchId, op: c.op, attempt: m.stale ? c.attempt - 1 : c.attempt, ...(m.outcome === 'SUCCESS' ? {} : { message: `${m.outcome} of ${c.branchId}` }) };
    }
    case 'cron':
      return { type: 'CronFired', at };
    case 'forceStop':
      return { type: 'TransForceStopped', at };
    case 'cronReset':
      return { type: 'CronReset', at };
    case 'createAgain':
      return { type: 'TransCreated', at, status: 'submitted', spec, limits: LIMITS };
    case 'submit': {
      if (sc.type === 'workflow' && m.variant > 0) {
        const reqExtra: Record<string, string> = m.variant === 1 ? { status: 'succeed', result: 'ok' } : m.variant === 2 ? { status: 'failed', rollback_reason: 'why' } : { status: 'bogus' };
        return { type: 'TransSubmitted', at, spec: { ...makeSpec({ transType: 'workflow', steps: [], payloads: [], customData: '', queryPrepared: '' }), reqExtra } };
      }
      if (m.variant === 0) return { type: 'TransSubmitted', at };
      if (m.variant === 1) return { type: 'TransSubmitted', at, spec: { ...spec, steps: [...spec.steps, { action: 'http://busi.test/api/extra' }] } };
      return { type: 'TransSubmitted', at, spec };
    }
    case 'abort':
      return { type: 'TransAborted', at, requestType: m.requestType, reason: m.reason };
    case 'register': {
      const url = m.variant === 0 ? '' : `http://busi.test/r${idOf(m.branch)}`;
      const requestType = m.variant === 5 ? m.requestType : sc.type;
      const fields: Record<string, string> =
        sc.type === 'tcc' ? { confirm: url && `${url}/confirm`, cancel: url && `${url}/cancel` } : sc.type === 'workflow' ? { op: ['action', 'compensate', 'transfer', ''][m.variant % 4]!, status: ['succeed', 'failed', 'succeed', 'bogus'][m.variant % 4]! } : { url };
      return { type: 'BranchRegistered', at, requestType, branchId: idOf(m.branch), fields, payload: m.variant === 3 ? Buffer.from('{"x":1}').toString('base64') : '' };
    }
    case 'stray': {
      const type = ({ SUCCESS: 'BranchSucceeded', FAILURE: 'BranchFailed', ONGOING: 'BranchOngoing', ERROR: 'BranchErrored' } as const)[m.outcome];
      return { type, at, branchId: m.branch === 4 ? '00' : idOf(m.branch), op: m.op, attempt: m.attempt };
    }
  }
}
