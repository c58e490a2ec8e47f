import type { BranchRegistration, BranchResultEvent, Effect, TransEvent, TransStatus } from './vocabulary.js';
import { newRow, withoutPassError, type BranchRow, type TransContext } from './trans-context.js';
import { rowForResult, settleRow, startCall, unblockAll, type Step } from './branch-calls.js';
import { alertAfterBackoff, lease, touch } from './schedule.js';
import { isFinal } from './trans-type.js';

/**
 * The two-phase types, TCC (spec §7.5) and XA (§7.6): rows come only from registerBranch, one pair
 * per branch; a submit runs the forward op (confirm / commit) on every pair, an abort or the
 * prepared timeout the backward op (cancel / rollback). A pass calls the rows of its op one at a
 * time in the type's order; the first answer that is not SUCCESS ends the pass (FAILURE of a
 * phase-2 call is only an error: retried with backoff, never a rollback).
 */
export interface TwoPhaseRules {
  /** The type's name (the machine id); tcc and xa for the built-ins. */
  readonly name: string;
  readonly forward: string;
  readonly backward: string;
  /** tcc calls its rows from the last registered to the first, xa in registration order. */
  readonly reverse: boolean;
  /** xa: phase-2 calls are always POST (with an empty body). */
  readonly forcePost: boolean;
  /** The rows one registration adds, `[backward, forward]` (spec §3.3.5). */
  rowsOf(reg: BranchRegistration, at: number): BranchRow[];
}

type Registered = Extract<TransEvent, { type: 'BranchRegistered' }>;

export function asRegistration(e: TransEvent): Registered {
  if (e.type !== 'BranchRegistered') throw new TypeError(`expected BranchRegistered, got ${e.type}`);
  return e;
}

/** Rows already stored for the registration's branch id. */
function storedRows(ctx: TransContext, branchId: string): BranchRow[] {
  return ctx.branches.filter((r) => r.branchId === branchId);
}

const sameRows = (a: readonly BranchRow[], b: readonly BranchRow[]) =>
  a.length === b.length && a.every((r, i) => r.op === b[i]!.op && r.url === b[i]!.url && r.binData === b[i]!.binData);

/** A repeated registration of a stored branch with the same URLs and data: accepted, nothing changes. */
export function isRepeatedRegistration(rules: TwoPhaseRules, ctx: TransContext, e: TransEvent): boolean {
  const r = asRegistration(e);
  const stored = storedRows(ctx, r.branchId);
  return stored.length > 0 && sameRows(stored, rules.rowsOf(r, e.at));
}

/** A registration of a stored branch id with other URLs or data (dtm: a unique-key error). */
export function isConflictingRegistration(ctx: TransContext, e: TransEvent): boolean {
  return storedRows(ctx, asRegistration(e).branchId).length > 0;
}

export function registerRows(rules: TwoPhaseRules, ctx: TransContext, e: TransEvent): TransContext {
  return { ...ctx, branches: [...ctx.branches, ...rules.rowsOf(asRegistration(e), e.at)], updateTime: e.at };
}

/** The effective timeout_to_fail (seconds): the transaction's own, else the config's (spec §8.6). */
export function effectiveTimeout(ctx: TransContext): number {
  return ctx.options.timeoutToFail > 0 ? ctx.options.timeoutToFail : ctx.limits.timeoutToFail;
}

/** When a prepared transaction times out (ms epoch), or undefined when it never does. */
export function preparedDeadline(ctx: TransContext): number | undefined {
  const t = effectiveTimeout(ctx);
  return t > 0 ? ctx.createTime + t * 1000 : undefined;
}

/**
 * When the timer wheel must wake a tcc/xa transaction: a prepared one only at its timeout, when the
 * machine turns it to aborting; a submitted or aborting one at its next cron time (retries).
 */
export function twoPhaseDueAt(ctx: TransContext, status: TransStatus): number | undefined {
  if (isFinal(status)) return undefined;
  if (status === 'prepared') return preparedDeadline(ctx);
  return ctx.nextCronTime;
}

export function isPreparedTimedOut(ctx: TransContext, at: number): boolean {
  const deadline = preparedDeadline(ctx);
  return deadline !== undefined && at >= deadline;
}

/** Indexes of the rows of `op` in pass order. */
function passOrder(rules: TwoPhaseRules, ctx: TransContext, op: string): number[] {
  const out: number[] = [];
  ctx.branches.forEach((r, i) => {
    if (r.op === op) out.push(i);
  });
  return rules.reverse ? out.reverse() : out;
}

export function allDone(ctx: TransContext, op: string): boolean {
  return ctx.branches.every((r) => r.op !== op || r.status === 'succeed');
}

/** One pass over the rows of `op`: call the next row not done yet; wait while one is out or blocked. */
export function twoPhasePass(rules: TwoPhaseRules, ctx: TransContext, op: string, at: number): Step {
  let step: Step = { ctx, effects: [] };
  for (const i of passOrder(rules, ctx, op)) {
    const row = step.ctx.branches[i]!;
    if (row.status === 'succeed') continue;
    if (row.inflight || row.blocked) return step;
    step = startCall(step, i, at, rules.forcePost);
    // only an empty URL succeeds at once; any call out ends this step of the pass
    if (step.ctx.branches[i]!.status !== 'succeed') return step;
  }
  return step;
}

/** A pass started by a client call (repeated submit, abort of an aborting transaction): no lease. */
export function twoPhaseRepass(rules: TwoPhaseRules, ctx: TransContext, op: string, at: number): Step {
  return twoPhasePass(rules, withoutPassError(unblockAll(ctx)), op, at);
}

/** A pass of the timer wheel: claims the transaction for the cron lease first (spec §8.2). */
export function twoPhaseCronPass(rules: TwoPhaseRules, ctx: TransContext, op: string, at: number): Step {
  return twoPhasePass(rules, withoutPassError(unblockAll(lease(ctx, at))), op, at);
}

/** Entering aborting: the abort's or the timeout's reason becomes rollback_reason, then cancel/rollback (claimed as above). */
export function beginBackward(rules: TwoPhaseRules, ctx: TransContext, at: number): Step {
  const reason = ctx.abortReason ?? ctx.rollbackReason;
  const c = withoutPassError(lease({ ...ctx, rollbackReason: reason, abortReason: undefined }, at));
  return twoPhasePass(rules, c, rules.backward, at);
}

/**
 * Entering submitted: the forward pass starts now and claims the transaction like a cron pass
 * (spec §8.2), so a due time left from `prepared` does not fire a second pass over the calls out.
 */
export function beginForward(rules: TwoPhaseRules, ctx: TransContext, at: number): Step {
  return twoPhasePass(rules, lease(ctx, at), rules.forward, at);
}

/**
 * A phase-2 answer. SUCCESS moves the pass on; ONGOING waits for the next pass at the same
 * interval; FAILURE and errors back off (and alert). The first non-success is the pass's error,
 * which a waiting submit reports (spec §7.1).
 */
export function onTwoPhaseResult(rules: TwoPhaseRules, ctx: TransContext, e: BranchResultEvent, op: string, status: string): Step {
  const i = rowForResult(ctx, e);
  if (i < 0) return { ctx, effects: [] };
  const row = ctx.branches[i]!;
  if (e.type === 'BranchSucceeded') return twoPhasePass(rules, touch(settleRow(ctx, i, e.at, 'succeed', false), 'reset', e.at), op, e.at);
  const message = e.message ?? '';
  const result = e.type === 'BranchOngoing' ? ('ONGOING' as const) : e.type === 'BranchFailed' ? ('FAILURE' as const) : ('ERROR' as const);
  const withError = (c: TransContext): TransContext => (c.passError ? c : { ...c, passError: { result, message: message || result } });
  if (e.type === 'BranchOngoing') return { ctx: withError(touch(settleRow(ctx, i, e.at, undefined, true), 'keep', e.at)), effects: [] };
  const next = withError(touch(settleRow(ctx, i, e.at, undefined, true), 'backoff', e.at));
  const alert = alertAfterBackoff(next, status, row.url, message);
  const effects: Effect[] = alert ? [{ type: 'notify', params: alert }] : [];
  return { ctx: next, effects };
}

/** The pair of rows of one registration, sharing its branch id and payload. */
export function pairRows(reg: BranchRegistration, at: number, backward: [string, string], forward: [string, string], binData: string): BranchRow[] {
  return [newRow(reg.branchId, backward[0], backward[1], binData, at), newRow(reg.branchId, forward[0], forward[1], binData, at)];
}
