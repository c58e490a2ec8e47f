import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import {
  BRANCH_EVENT_OF,
  EMPTY_OPTIONS,
  EFFECT_TYPES,
  type CallBranchParams,
  type CallResult,
  type Effect,
  type Limits,
  type TransContext,
  type TransEvent,
  type TransOptions,
  type TransSpec,
} from '../../../machines/index.js';

/**
 * Builders and a tiny pure driver for machine tests. Mirrors the engine (src/engine/live-transaction.ts
 * and partition-processor.ts): `transition(machine, snapshot, event)`, an event is persisted only when
 * the snapshot changed and no `reject` action was returned.
 */

export const T0 = 1_700_000_000_000;
export const sec = (s: number): number => T0 + s * 1000;

export const LIMITS: Limits = {
  retryInterval: 10,
  timeoutToFail: 35,
  requestTimeout: 3,
  maxRetryInterval: 3600,
  alertRetryLimit: 3,
};

export const OPTIONS: TransOptions = EMPTY_OPTIONS;

export interface SpecInput {
  gid?: string;
  transType?: string;
  protocol?: string;
  /** shorthand: one entry per step; a string is the action URL (compensate = `<url>/compensate` for saga). */
  steps?: ReadonlyArray<Readonly<Record<string, string>>>;
  payloads?: readonly string[];
  customData?: string | Record<string, unknown>;
  queryPrepared?: string;
  options?: Partial<TransOptions>;
  rollbackReason?: string;
}

export const BUSI = 'http://busi.test/api';
export const actionUrl = (k: number): string => `${BUSI}/step${k + 1}/action`;
export const compensateUrl = (k: number): string => `${BUSI}/step${k + 1}/compensate`;

/** A saga-shaped step list with `n` steps (action + compensate URLs). */
export function sagaSteps(n: number): Array<Record<string, string>> {
  return Array.from({ length: n }, (_, k) => ({ action: actionUrl(k), compensate: compensateUrl(k) }));
}

/** A msg-shaped step list with `n` steps (action URLs only). */
export function msgSteps(n: number): Array<Record<string, string>> {
  return Array.from({ length: n }, (_, k) => ({ action: actionUrl(k) }));
}

export function makeSpec(input: SpecInput = {}): TransSpec {
  const transType = input.transType ?? 'saga';
  const steps = input.steps ?? (transType === 'msg' ? msgSteps(2) : sagaSteps(2));
  const customData = input.customData === undefined ? '' : typeof input.customData === 'string' ? input.customData : JSON.stringify(input.customData);
  return {
    gid: input.gid ?? 'gid-1',
    transType,
    protocol: input.protocol ?? 'http',
    steps,
    payloads: input.payloads ?? steps.map((_, i) => Buffer.from(`{"amount":${30 + i}}`).toString('base64')),
    customData,
    queryPrepared: input.queryPrepared ?? '',
    options: { ...OPTIONS, ...input.options },
    rollbackReason: input.rollbackReason ?? '',
  };
}

export function makeCreated(spec: TransSpec, status: 'prepared' | 'submitted', at: number = T0, limits: Limits = LIMITS): TransEvent {
  return { type: 'TransCreated', at, status, spec, limits };
}

export function makeSubmitted(at: number, spec?: TransSpec): TransEvent {
  return spec === undefined ? { type: 'TransSubmitted', at } : { type: 'TransSubmitted', at, spec };
}

export function makeAborted(at: number, requestType = 'saga', reason = ''): TransEvent {
  return { type: 'TransAborted', at, requestType, reason };
}

export function makeForceStop(at: number): TransEvent {
  return { type: 'TransForceStopped', at };
}

export function makeCronReset(at: number): TransEvent {
  return { type: 'CronReset', at };
}

export function makeCron(at: number): TransEvent {
  return { type: 'CronFired', at };
}

export function makeResult(type: CallResult, branchId: string, op: string, attempt: number, at: number, message?: string): TransEvent {
  return { type: BRANCH_EVENT_OF[type], at, branchId, op, attempt, ...(message !== undefined ? { message } : {}) } as TransEvent;
}

/** The result answering a call the machine emitted. */
export function answer(call: CallBranchParams, type: CallResult, at: number, message?: string): TransEvent {
  return makeResult(type, call.branchId, call.op, call.attempt, at, message);
}

const KNOWN_EFFECTS: ReadonlySet<string> = new Set(EFFECT_TYPES);

export function effectsOf(actions: ReadonlyArray<{ type: string; params?: unknown }>): Effect[] {
  return actions.filter((a) => KNOWN_EFFECTS.has(a.type)).map((a) => ({ type: a.type, params: a.params }) as Effect);
}

export interface StepResult {
  readonly event: TransEvent;
  readonly before: AnyMachineSnapshot;
  readonly snapshot: AnyMachineSnapshot;
  readonly effects: Effect[];
  /** Would the engine append this event (snapshot changed, no reject)? */
  readonly persisted: boolean;
  readonly rejected: boolean;
}

export function initial(machine: AnyStateMachine): AnyMachineSnapshot {
  const [snapshot] = initialTransition(machine);
  return snapshot;
}

/** One pure step. */
export function step(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: TransEvent): StepResult {
  const [next, actions] = transition(machine, snapshot, event);
  const effects = effectsOf(actions as ReadonlyArray<{ type: string; params?: unknown }>);
  const rejected = effects.some((e) => e.type === 'reject');
  return { event, before: snapshot, snapshot: next, effects, rejected, persisted: !rejected && next !== snapshot };
}

export interface RunResult {
  /** The engine's snapshot: rejected events leave it unchanged. */
  readonly snapshot: AnyMachineSnapshot;
  readonly steps: StepResult[];
  /** effects per step (same order as events) */
  readonly effects: Effect[][];
  /** events the engine would have appended */
  readonly persisted: TransEvent[];
}

/**
 * Folds `events` from `from` (default: the machine's initial snapshot), like the engine does: a
 * rejected event does not change the engine's snapshot.
 */
export function run(machine: AnyStateMachine, events: readonly TransEvent[], from?: AnyMachineSnapshot): RunResult {
  let snapshot = from ?? initial(machine);
  const steps: StepResult[] = [];
  for (const e of events) {
    const s = step(machine, snapshot, e);
    steps.push(s);
    if (!s.rejected) snapshot = s.snapshot;
  }
  return { snapshot, steps, effects: steps.map((s) => s.effects), persisted: steps.filter((s) => s.persisted).map((s) => s.event) };
}

/** An incremental driver that keeps the engine's snapshot and records every step. */
export class Driver {
  snapshot: AnyMachineSnapshot;
  readonly steps: StepResult[] = [];

  constructor(readonly machine: AnyStateMachine, from?: AnyMachineSnapshot) {
    this.snapshot = from ?? initial(machine);
  }

  send(event: TransEvent): StepResult {
    const s = step(this.machine, this.snapshot, event);
    this.steps.push(s);
    if (!s.rejected) this.snapshot = s.snapshot;
    return s;
  }

  get status(): string {
    return String(this.snapshot.value);
  }

  get ctx(): TransContext {
    return this.snapshot.context as TransContext;
  }

  get persisted(): TransEvent[] {
    return this.steps.filter((s) => s.persisted).map((s) => s.event);
  }
}

export function ctxOf(snapshot: AnyMachineSnapshot): TransContext {
  return snapshot.context as TransContext;
}

export function statusOf(snapshot: AnyMachineSnapshot): string {
  return String(snapshot.value);
}

/** Branch row statuses in stored order ([c1,a1,c2,a2,...] for saga). */
export function rows(snapshot: AnyMachineSnapshot): string[] {
  return ctxOf(snapshot).branches.map((r) => r.status);
}

export function calls(effects: readonly Effect[]): CallBranchParams[] {
  return effects.flatMap((e) => (e.type === 'callBranch' ? [e.params] : []));
}

/** `<branchId>:<op>` of every callBranch effect, in order. */
export function callKeys(effects: readonly Effect[]): string[] {
  return calls(effects).map((c) => `${c.branchId}:${c.op}`);
}

export function rejectOf(effects: readonly Effect[]) {
  const r = effects.find((e) => e.type === 'reject');
  return r?.type === 'reject' ? r.params : undefined;
}

/** `<branchId>:<op>` of a call. */
export const keyOf = (c: { branchId: string; op: string }): string => `${c.branchId}:${c.op}`;

/**
 * A Driver that remembers the calls the machine asked for, so a test can answer them by
 * `<branchId>:<op>` without spelling out attempts: `h.reply('02:action', 'FAILURE', sec(2), 'no money')`.
 */
export class Harness extends Driver {
  /** Calls emitted and not answered yet, by `<branchId>:<op>`. */
  readonly outstanding = new Map<string, CallBranchParams>();
  /** Every call emitted, in order. */
  readonly allCalls: CallBranchParams[] = [];

  override send(event: TransEvent): StepResult {
    const s = super.send(event);
    if ('op' in event && s.persisted) this.outstanding.delete(keyOf(event));
    for (const c of calls(s.effects)) {
      this.outstanding.set(keyOf(c), c);
      this.allCalls.push(c);
    }
    return s;
  }

  reply(key: string, type: CallResult, at: number, message?: string): StepResult {
    const call = this.outstanding.get(key);
    if (call === undefined) throw new Error(`no outstanding call ${key} (outstanding: ${[...this.outstanding.keys()].join(', ') || 'none'})`);
    return this.send(answer(call, type, at, message));
  }

  get rows(): string[] {
    return rows(this.snapshot);
  }
}
