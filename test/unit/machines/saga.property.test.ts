import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AnyMachineSnapshot } from 'xstate';
import { sagaMachine, type CallBranchParams, type CallResult, type TransEvent, type TransSpec } from '../../../machines/index.js';
import {
  Driver, T0, actionUrl, answer, calls, compensateUrl, ctxOf, initial, keyOf, makeCreated, makeCron, makeSpec, makeSubmitted,
  rejectOf, run, statusOf,
} from './builders.js';

/**
 * Property tests of the saga machine (spec §7.3.3): random sagas driven by an adversarial RM
 * (any result for any in-flight call, in any order, with cron passes at arbitrary later times,
 * duplicate answers and repeated submits), then answered with SUCCESS until the saga finishes.
 */

interface SagaShape {
  readonly n: number;
  readonly concurrent: boolean;
  /** orders[k] ⊂ {0..k-1} (acyclic by construction) */
  readonly orders: readonly (readonly number[])[];
  readonly emptyAction: readonly boolean[];
  readonly emptyCompensate: readonly boolean[];
  readonly retryLimit: number;
  readonly timeoutToFail: number;
}

type Move =
  | { readonly kind: 'answer'; readonly pick: number; readonly outcome: CallResult; readonly dt: number }
  | { readonly kind: 'cron'; readonly dt: number }
  | { readonly kind: 'dup'; readonly pick: number }
  | { readonly kind: 'resubmit'; readonly dt: number };

const rare = fc.integer({ min: 0, max: 9 }).map((x) => x === 0);

const shapeArb: fc.Arbitrary<SagaShape> = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    concurrent: fc.boolean(),
    orders: fc.tuple(...Array.from({ length: n }, (_, k) => fc.subarray(Array.from({ length: k }, (_, j) => j)))),
    emptyAction: fc.array(rare, { minLength: n, maxLength: n }),
    emptyCompensate: fc.array(rare, { minLength: n, maxLength: n }),
    retryLimit: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
    timeoutToFail: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
  }),
);

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), outcome: fc.constantFrom<CallResult>('SUCCESS', 'FAILURE', 'ONGOING', 'ERROR'), dt: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cron' as const), dt: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resubmit' as const), dt: fc.integer({ min: 0, max: 3 }) }) },
);

function specOf(shape: SagaShape): TransSpec {
  const orders: Record<string, number[]> = {};
  shape.orders.forEach((deps, k) => {
    if (deps.length > 0) orders[String(k)] = [...deps];
  });
  const customData = shape.concurrent ? { concurrent: true, orders } : Object.keys(orders).length > 0 ? { orders } : undefined;
  return makeSpec({
    steps: Array.from({ length: shape.n }, (_, k) => ({
      action: shape.emptyAction[k] ? '' : actionUrl(k),
      compensate: shape.emptyCompensate[k] ? '' : compensateUrl(k),
    })),
    ...(customData ? { customData } : {}),
    options: { retryLimit: shape.retryLimit, timeoutToFail: shape.timeoutToFail },
  });
}

interface LoggedStep {
  readonly index: number;
  readonly event: TransEvent;
  readonly before: AnyMachineSnapshot;
  readonly after: AnyMachineSnapshot;
  readonly calls: CallBranchParams[];
  readonly persisted: boolean;
  readonly isDup: boolean;
}

interface Outcome {
  readonly shape: SagaShape;
  readonly spec: TransSpec;
  readonly driver: Driver;
  readonly log: LoggedStep[];
}

const FINAL = new Set(['succeed', 'failed']);
const stepOf = (branchId: string): number => Number(branchId) - 1;

/** Drives the saga with `moves`, then answers SUCCESS / fires cron until it is final. */
function drive(shape: SagaShape, moves: readonly Move[]): Outcome {
  const spec = specOf(shape);
  const d = new Driver(sagaMachine);
  const log: LoggedStep[] = [];
  const pending: CallBranchParams[] = [];
  const answered: TransEvent[] = [];
  let now = T0;

  const send = (event: TransEvent, isDup = false) => {
    const s = d.send(event);
    const cs = calls(s.effects);
    // invariant: at most one call in flight per row, attempts count up by one
    for (const c of cs) {
      expect(pending.some((p) => keyOf(p) === keyOf(c)), `second in-flight call for ${keyOf(c)}`).toBe(false);
      const prev = [...log.flatMap((l) => l.calls), ...cs.slice(0, cs.indexOf(c))].filter((p) => keyOf(p) === keyOf(c));
      expect(c.attempt).toBe(prev.length + 1);
    }
    pending.push(...cs);
    log.push({ index: log.length, event, before: s.before, after: s.snapshot, calls: cs, persisted: s.persisted, isDup });
    // invariant: what is not recorded has no effect (the engine would drop its effects)
    if (!s.persisted && !s.rejected) expect(s.effects).toEqual([]);
    return s;
  };
  const isFinal = () => FINAL.has(d.status);

  send(makeCreated(spec, 'submitted', now));
  for (const m of moves) {
    if (isFinal()) break;
    if (m.kind === 'answer') {
      if (pending.length === 0) continue;
      const [call] = pending.splice(m.pick % pending.length, 1);
      now += m.dt * 1000;
      const ev = answer(call!, m.outcome, now, `${m.outcome.toLowerCase()} from ${keyOf(call!)}`);
      const s = send(ev);
      expect(s.persisted, 'an answer to an outstanding call is folded').toBe(true);
      answered.push(ev);
    } else if (m.kind === 'cron') {
      now += m.dt * 1000;
      send(makeCron(now));
    } else if (m.kind === 'dup') {
      if (answered.length === 0) continue;
      const ev = { ...answered[m.pick % answered.length]!, at: now } as TransEvent;
      const s = send(ev, true);
      expect(s.snapshot, 'a duplicate answer changes nothing').toBe(s.before);
    } else {
      now += m.dt * 1000;
      const before = d.status;
      const s = send(makeSubmitted(now, spec));
      if (before === 'submitted') expect(s.rejected).toBe(false);
      else expect(rejectOf(s.effects)?.message).toBe(`current status '${before}', cannot sumbmit. FAILURE`);
    }
  }
  // Let it finish: every call succeeds from now on; cron passes re-drive waiting rows.
  for (let guard = 0; !isFinal(); guard++) {
    if (guard > 500) throw new Error(`saga did not finish: ${d.status} ${JSON.stringify(ctxOf(d.snapshot).branches)}`);
    const call = pending.shift();
    if (call !== undefined) {
      now += 1000;
      const ev = answer(call, 'SUCCESS', now);
      expect(send(ev).persisted).toBe(true);
      answered.push(ev);
    } else {
      now = Math.max(now + 1000, ctxOf(d.snapshot).nextCronTime);
      send(makeCron(now));
    }
  }
  expect(pending, 'no call is left in flight once final').toEqual([]);
  return { shape, spec, driver: d, log };
}

/** canRunAction of spec §7.3.3 over row statuses [c1,a1,c2,a2,...]. */
function canRunModel(shape: SagaShape, rows: readonly string[], k: number): boolean {
  const a = (j: number) => rows[2 * j + 1];
  if (!shape.concurrent && k > 0 && a(k - 1) !== 'succeed') return false;
  return shape.orders[k]!.every((j) => a(j) === 'succeed');
}

function analyse(o: Outcome) {
  const { shape, log } = o;
  const n = shape.n;
  const rowsAt = (s: AnyMachineSnapshot) => ctxOf(s).branches.map((r) => r.status);
  const finalRows = rowsAt(o.driver.snapshot);
  const actionCalled = Array.from({ length: n }, () => false);
  const actionSuccess = Array.from({ length: n }, () => false);
  const actionSuccessWhileSubmitted = Array.from({ length: n }, () => false);
  /** log index of the SUCCESS answer of each compensation */
  const compSuccessAt: Array<number[]> = Array.from({ length: n }, () => []);
  const compCalls: Array<{ k: number; at: number }> = [];
  for (const l of log) {
    for (const c of l.calls) {
      if (c.op === 'action') actionCalled[stepOf(c.branchId)] = true;
      else compCalls.push({ k: stepOf(c.branchId), at: l.index });
    }
    const e = l.event;
    if (!l.isDup && e.type === 'BranchSucceeded') {
      const k = stepOf(e.branchId);
      if (e.op === 'action') {
        actionSuccess[k] = true;
        if (statusOf(l.before) === 'submitted') actionSuccessWhileSubmitted[k] = true;
      } else compSuccessAt[k]!.push(l.index);
    }
  }
  // the event that ends `submitted` by a rollback: to aborting, or straight to failed when every
  // compensation it starts is empty (they finish within the same event)
  const abortEntry = log.find((l) => statusOf(l.before) === 'submitted' && (statusOf(l.after) === 'aborting' || statusOf(l.after) === 'failed'));
  /** Actions runnable but never reported when the saga turned to aborting: may have executed (§7.3.3 step 5). */
  const mayHaveRun = new Set<number>();
  if (abortEntry) {
    const rows = rowsAt(abortEntry.after);
    for (let k = 0; k < n; k++) if (rows[2 * k + 1] === 'prepared' && canRunModel(shape, rows, k)) mayHaveRun.add(k);
  }
  const ranEmpty = (k: number) => shape.emptyAction[k]! && finalRows[2 * k + 1] === 'succeed';
  const needsComp = (k: number) => actionCalled[k]! || ranEmpty(k) || mayHaveRun.has(k);
  return { finalRows, actionCalled, actionSuccess, actionSuccessWhileSubmitted, compSuccessAt, compCalls, abortEntry, mayHaveRun, ranEmpty, needsComp, rowsAt };
}

/** Steps whose compensation must be finished before step k's starts. */
function after(shape: SagaShape, k: number): number[] {
  const out = new Set<number>();
  if (!shape.concurrent) for (let j = k + 1; j < shape.n; j++) out.add(j);
  shape.orders.forEach((deps, j) => {
    if (deps.includes(k)) out.add(j);
  });
  return [...out];
}

function replay(events: readonly TransEvent[]): AnyMachineSnapshot {
  return run(sagaMachine, events, initial(sagaMachine)).snapshot;
}

/** DTX_PROPERTY_SEED and DTX_PROPERTY_PATH replay the failure fast-check printed ("seed", "path"). */
const RUNS = {
  numRuns: Number(process.env['DTX_PROPERTY_RUNS'] ?? 300),
  ...(process.env['DTX_PROPERTY_SEED'] === undefined ? {} : { seed: Number(process.env['DTX_PROPERTY_SEED']), path: process.env['DTX_PROPERTY_PATH'], endOnFailure: true }),
};
const scenario = fc.tuple(shapeArb, fc.array(moveArb, { maxLength: 40 }));

describe('saga properties', () => {
  it('(a) final succeed iff every action got SUCCESS', () => {
    fc.assert(
      fc.property(scenario, ([shape, moves]) => {
        const o = drive(shape, moves);
        const a = analyse(o);
        const status = o.driver.status;
        // an empty-URL action succeeds without a call, but only once the pass reaches it (never past the timeout)
        const allWhileSubmitted = a.actionSuccessWhileSubmitted.every((ok, k) => ok || a.ranEmpty(k));
        expect(status === 'succeed').toBe(allWhileSubmitted);
        if (shape.timeoutToFail === 0) {
          // without a timeout nothing but a non-success answer aborts a saga
          expect(status === 'succeed').toBe(a.actionSuccess.every((ok, k) => ok || shape.emptyAction[k]));
        }
        if (status === 'succeed') {
          expect(a.compCalls).toEqual([]);
          expect(a.finalRows.filter((_, i) => i % 2 === 1).every((r) => r === 'succeed')).toBe(true);
          expect(ctxOf(o.driver.snapshot).rollbackReason).toBe('');
        } else {
          expect(ctxOf(o.driver.snapshot).rollbackReason).not.toBe('');
        }
      }),
      RUNS,
    );
  });

  it('(b) compensations: only for executed steps, at most one success each, in reverse order', () => {
    fc.assert(
      fc.property(scenario, ([shape, moves]) => {
        const o = drive(shape, moves);
        const a = analyse(o);
        if (shape.timeoutToFail === 0) {
          // without a timeout every action runnable at the abort had been called already
          for (const k of a.mayHaveRun) expect(a.actionCalled[k], `step ${k} runnable but never called`).toBe(true);
        }
        for (const { k, at } of a.compCalls) {
          expect(a.needsComp(k), `compensation of step ${k} whose action never ran`).toBe(true);
          // never again after it succeeded
          expect(a.compSuccessAt[k]!.every((s) => s > at), `step ${k} compensated again after success`).toBe(true);
          // every step that must be rolled back first was rolled back before this call
          const rows = a.rowsAt(o.log[at]!.after);
          for (const j of after(shape, k)) {
            if (!a.needsComp(j)) continue;
            expect(rows[2 * j], `compensation ${k} started before ${j} was compensated`).toBe('succeed');
            // its SUCCESS answer is the event of this step (which started k) or an earlier one
            if (!shape.emptyCompensate[j]) expect(a.compSuccessAt[j]!.some((s) => s <= at)).toBe(true);
          }
        }
        for (let k = 0; k < shape.n; k++) expect(a.compSuccessAt[k]!.length).toBeLessThanOrEqual(1);
        if (!shape.concurrent) {
          // first calls of the compensations come in strictly decreasing step order
          const firsts = [...new Set(a.compCalls.map((c) => c.k))];
          expect(firsts).toEqual([...firsts].sort((x, y) => y - x));
        }
        if (o.driver.status === 'failed') {
          for (let k = 0; k < shape.n; k++) {
            if (a.needsComp(k)) expect(a.finalRows[2 * k], `step ${k} not compensated`).toBe('succeed');
            else expect(a.finalRows[2 * k]).toBe('prepared');
          }
        }
      }),
      RUNS,
    );
  });

  it('(c) no action is called once the saga left submitted; compensations only while aborting', () => {
    fc.assert(
      fc.property(scenario, ([shape, moves]) => {
        const o = drive(shape, moves);
        for (const l of o.log) {
          const ops = new Set(l.calls.map((c) => c.op));
          if (ops.has('action')) {
            expect(statusOf(l.after)).toBe('submitted');
            expect(['idle', 'submitted']).toContain(statusOf(l.before));
          }
          if (ops.has('compensate')) expect(statusOf(l.after)).toBe('aborting');
          if (statusOf(l.before) === 'aborting' || FINAL.has(statusOf(l.before))) expect(ops.has('action')).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('(d) replaying the persisted events gives the live snapshot', () => {
    fc.assert(
      fc.property(scenario, ([shape, moves]) => {
        const o = drive(shape, moves);
        const persisted = o.log.filter((l) => l.persisted).map((l) => l.event);
        expect(persisted).toEqual(o.driver.persisted);
        const replayed = replay(persisted);
        expect(replayed.value).toStrictEqual(o.driver.snapshot.value);
        expect(replayed.context).toStrictEqual(o.driver.snapshot.context);
        // every prefix replays too (recovery after a crash at any point)
        let prefix = initial(sagaMachine);
        let i = 0;
        for (const l of o.log) {
          if (!l.persisted) continue;
          prefix = run(sagaMachine, [persisted[i++]!], prefix).snapshot;
          expect(prefix.context).toStrictEqual(l.after.context);
          expect(prefix.value).toStrictEqual(l.after.value);
        }
        // a final saga ignores cron
        const late = run(sagaMachine, [makeCron(T0 + 10 ** 9)], o.driver.snapshot);
        expect(late.snapshot).toBe(o.driver.snapshot);
        expect(late.effects).toEqual([[]]);
      }),
      RUNS,
    );
  });

  it('(e) persisted events are JSON round-trippable and replay identically', () => {
    fc.assert(
      fc.property(scenario, ([shape, moves]) => {
        const o = drive(shape, moves);
        const persisted = o.driver.persisted;
        const wire = persisted.map((e) => JSON.parse(JSON.stringify(e)) as TransEvent);
        expect(wire).toStrictEqual(persisted);
        const replayed = replay(wire);
        expect(replayed.value).toStrictEqual(o.driver.snapshot.value);
        expect(replayed.context).toStrictEqual(o.driver.snapshot.context);
        // and so is the context itself (snapshots are stored as JSON)
        expect(JSON.parse(JSON.stringify(o.driver.snapshot.context))).toEqual(o.driver.snapshot.context);
      }),
      RUNS,
    );
  });
});
