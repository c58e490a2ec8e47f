import { isDeepStrictEqual } from 'node:util';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { BRANCH_EVENT_OF, EFFECT_TYPES, EMPTY_LIMITS, EMPTY_OPTIONS, type CallResult, type TransEvent, type TransSpec, type TransTypeDefinition } from '../../machines/index.js';

/**
 * The load-time determinism probe of a custom transaction type: one scripted history
 * (TransCreated, answers to the calls it asks for, CronFired, answers, CronFired) is folded twice,
 * each time under a different fake clock and random source, and both traces must be identical
 * (replay determinism). The first run also checks that every step leaves the previous snapshot
 * untouched (no mutation), returns only dtx effects and spawns nothing.
 */

const T0 = 1_700_000_000_000;
const MAX_EVENTS = 64;

interface Trace {
  readonly event: string;
  readonly value: unknown;
  readonly status: string;
  readonly context: unknown;
  readonly children: readonly string[];
  readonly actions: ReadonlyArray<{ readonly type: string; readonly params: unknown }>;
}

interface FakeWorld {
  readonly now: number;
  readonly random: number;
}

export function sampleSpec(name: string): TransSpec {
  const steps = [1, 2, 3].map((k) => ({ action: `http://probe.invalid/a${k}`, compensate: `http://probe.invalid/c${k}` }));
  return {
    gid: 'dtx-determinism-probe',
    transType: name,
    protocol: 'http',
    steps,
    payloads: steps.map((_, k) => Buffer.from(`{"probe":${k + 1}}`).toString('base64')),
    customData: '',
    queryPrepared: '',
    options: EMPTY_OPTIONS,
    rollbackReason: '',
  };
}

/** Runs `fn` with Date, Date.now and Math.random answering from `world` (synchronous only). */
function inFakeWorld<T>(world: FakeWorld, fn: () => T): T {
  const RealDate = Date;
  const realRandom = Math.random;
  class FakeDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(world.now);
      else super(...(args as ConstructorParameters<DateConstructor>));
    }
    static override now(): number {
      return world.now;
    }
  }
  globalThis.Date = FakeDate as DateConstructor;
  Math.random = () => world.random;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
    Math.random = realRandom;
  }
}

function traceOf(event: string, s: AnyMachineSnapshot, actions: ReadonlyArray<{ type: string; params?: unknown }>): Trace {
  return {
    event,
    value: s.value,
    status: s.status,
    context: s.context,
    children: Object.keys(s.children),
    actions: actions.map((a) => ({ type: a.type, params: a.params })),
  };
}

/** Folds the scripted history; `problems` collects the single-run checks. */
function runScript(machine: AnyStateMachine, spec: TransSpec, problems: string[]): Trace[] {
  const traces: Trace[] = [];
  let [snapshot] = initialTransition(machine);
  const feed = (event: TransEvent): ReadonlyArray<{ type: string; params?: unknown }> => {
    if (traces.length >= MAX_EVENTS) return [];
    const before = structuredClone(snapshot.context) as unknown;
    const [next, actions] = transition(machine, snapshot, event);
    if (!isDeepStrictEqual(snapshot.context, before)) problems.push(`${event.type} mutated the previous snapshot's context (at ${firstDifference(before, snapshot.context)}): return new objects instead`);
    if (next.status === 'error') problems.push(`${event.type} put the machine in error: ${String(next.error)}`);
    for (const a of actions) {
      const delayed = a.type === 'xstate.raise' && (a.params as { delay?: unknown } | undefined)?.delay !== undefined;
      if (delayed) problems.push(`${event.type} returned a delayed raise: no timers, time enters as event 'at'`);
      else if (a.type !== 'xstate.raise' && !(EFFECT_TYPES as readonly string[]).includes(a.type)) {
        problems.push(`${event.type} returned action '${a.type}', which is not a dtx effect (${EFFECT_TYPES.join('|')})`);
      }
    }
    if (Object.keys(next.children).length > 0) problems.push(`${event.type} spawned actors (${Object.keys(next.children).join(', ')})`);
    traces.push(traceOf(event.type, next, actions));
    snapshot = next;
    return actions;
  };
  const callsIn = (actions: ReadonlyArray<{ type: string; params?: unknown }>) =>
    actions.filter((a) => a.type === 'callBranch').map((a) => a.params as { branchId: string; op: string; attempt: number });
  const answer = (calls: ReturnType<typeof callsIn>, at: number, pick: (i: number) => CallResult) => {
    const next: ReturnType<typeof callsIn> = [];
    calls.forEach((c, i) => {
      next.push(...callsIn(feed({ type: BRANCH_EVENT_OF[pick(i)], at: at + i, branchId: c.branchId, op: c.op, attempt: c.attempt } as TransEvent)));
    });
    return next;
  };
  const first = feed({ type: 'TransCreated', at: T0, status: 'submitted', spec, limits: EMPTY_LIMITS });
  if (snapshot.value === 'idle') problems.push("TransCreated (status submitted) left the machine in 'idle'");
  let pending = answer(callsIn(first), T0 + 1000, (i) => (i % 2 === 0 ? 'SUCCESS' : 'ERROR'));
  pending = [...pending, ...callsIn(feed({ type: 'CronFired', at: T0 + 3_600_000 }))];
  pending = answer(pending, T0 + 3_601_000, () => 'SUCCESS');
  answer([...pending, ...callsIn(feed({ type: 'CronFired', at: T0 + 7_200_000 }))], T0 + 7_201_000, () => 'SUCCESS');
  return traces;
}

/** Problems found by the probe (empty = deterministic); a machine that throws is one problem. */
export function probeDeterminism(def: TransTypeDefinition): string[] {
  const spec = def.probeSpec ?? sampleSpec(def.name);
  const problems: string[] = [];
  let a: Trace[];
  let b: Trace[];
  try {
    a = inFakeWorld({ now: T0 + 12_345, random: 0.25 }, () => runScript(def.machine, spec, problems));
    b = inFakeWorld({ now: T0 + 98_765_432, random: 0.75 }, () => runScript(def.machine, spec, []));
  } catch (err) {
    return [...problems, `the machine threw during the determinism probe: ${err instanceof Error ? err.message : String(err)}`];
  }
  if (problems.length > 0) return [...new Set(problems)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (!isDeepStrictEqual(a[i], b[i])) {
      return [`not deterministic: folding the same events twice gave different results at event #${i + 1} (${a[i]?.event ?? b[i]?.event}), at ${firstDifference(a[i], b[i])}: no clock, randomness or outside state in machines`];
    }
  }
  return [];
}

/** Dotted path of the first difference between two plain values. */
export function firstDifference(x: unknown, y: unknown, path = '$'): string {
  if (isDeepStrictEqual(x, y)) return path;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return path;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) {
    const xv = (x as Record<string, unknown>)[k];
    const yv = (y as Record<string, unknown>)[k];
    if (!isDeepStrictEqual(xv, yv)) return firstDifference(xv, yv, `${path}.${k}`);
  }
  return path;
}
