/**
 * The quorum type's context updates: pure functions from (context, event time) to the next
 * context and the effects it names. Inside this repository the kit comes from machines/; a type
 * outside it imports the same names from the package: `import { startCall, ... } from 'dtx'`.
 */
import {
  alertAfterBackoff, lease, newRow, rowForResult, settleRow, startCall, timeoutDeadline, touch, unblockAll, withFailureSuffix,
  type BranchResultEvent, type BranchRow, type Effect, type Step, type TransContext, type TransSpec,
} from '../../machines/index.js';

/** `custom_data` of a quorum transaction: `{"quorum": K}`; K defaults to a majority of the steps. */
export interface QuorumExt {
  readonly quorum: number;
  /** Branch ids of the K actions that count, fixed when the K-th success arrives. */
  readonly winners?: readonly string[];
}

export const majority = (n: number): number => Math.floor(n / 2) + 1;

/** Reads K from custom_data (validated at submit by the type's `validate`). */
export function parseQuorumExt(customData: string, steps: number): QuorumExt {
  const parsed: unknown = customData === '' ? {} : JSON.parse(customData);
  const k = (parsed as { quorum?: unknown } | null)?.quorum;
  return { quorum: typeof k === 'number' && Number.isInteger(k) ? k : majority(steps) };
}

/** Rows in saga's stored order: [c1, a1, c2, a2, ...], branch ids 01, 02, ... */
export function quorumRows(spec: TransSpec, at: number): BranchRow[] {
  return spec.steps.flatMap((step, i) => {
    const id = String(i + 1).padStart(2, '0');
    const payload = spec.payloads[i] ?? '';
    return [newRow(id, 'compensate', step.compensate ?? '', payload, at), newRow(id, 'action', step.action ?? '', payload, at)];
  });
}

export const extOf = (ctx: TransContext): QuorumExt => ctx.ext as unknown as QuorumExt;
export const stepCount = (ctx: TransContext): number => ctx.branches.length / 2;
const action = (ctx: TransContext, k: number): BranchRow => ctx.branches[2 * k + 1]!;
const compensation = (ctx: TransContext, k: number): BranchRow => ctx.branches[2 * k]!;
const count = (ctx: TransContext, status: BranchRow['status']): number =>
  ctx.branches.filter((r) => r.op === 'action' && r.status === status).length;

export const reached = (ctx: TransContext): boolean => extOf(ctx).winners !== undefined;
/** Fewer branches are left than the quorum needs: success is impossible. */
export const unreachable = (ctx: TransContext): boolean => stepCount(ctx) - count(ctx, 'failed') < extOf(ctx).quorum;

export function pastDeadline(ctx: TransContext, at: number): boolean {
  const deadline = timeoutDeadline(ctx, ctx.options.timeoutToFail);
  return deadline !== undefined && at >= deadline;
}

/** The action succeeded, or was called and never answered FAILURE: it may have executed. */
const mayHaveRun = (a: BranchRow): boolean => a.status === 'succeed' || (a.status === 'prepared' && a.attempt > 0);
/** Steps to undo: every step while aborting, the non-winners once the quorum is reached. */
const toUndo = (ctx: TransContext, k: number): boolean => !(extOf(ctx).winners ?? []).includes(action(ctx, k).branchId);
const undone = (ctx: TransContext, k: number): boolean => !mayHaveRun(action(ctx, k)) || compensation(ctx, k).status === 'succeed';

/** Every step to undo is settled: no action in flight, compensated unless it never ran. */
export function allUndone(ctx: TransContext): boolean {
  for (let k = 0; k < stepCount(ctx); k++) {
    if (toUndo(ctx, k) && (action(ctx, k).inflight || !undone(ctx, k))) return false;
  }
  return true;
}

/** Calls every action not called yet (or due for a retry): all at once, no order. */
export function startActions(ctx: TransContext, at: number): Step {
  let step: Step = { ctx, effects: [] };
  if (reached(ctx) || pastDeadline(ctx, at)) return step;
  for (let k = 0; k < stepCount(ctx); k++) {
    const a = action(step.ctx, k);
    if (a.status === 'prepared' && !a.inflight && !a.blocked) step = startCall(step, 2 * k + 1, at);
  }
  return settleQuorum(step, at);
}

/** Compensates the steps to undo whose action answered (an action in flight is waited for). */
export function startCompensations(step: Step, at: number): Step {
  let cur = step;
  for (let k = 0; k < stepCount(cur.ctx); k++) {
    const c = compensation(cur.ctx, k);
    if (toUndo(cur.ctx, k) && !undone(cur.ctx, k) && !action(cur.ctx, k).inflight && !c.inflight && !c.blocked) cur = startCall(cur, 2 * k, at);
  }
  return cur;
}

/** Once K actions succeeded, the first K (by step order) count; the others are compensated. */
function settleQuorum(step: Step, at: number): Step {
  const { ctx } = step;
  const { quorum } = extOf(ctx);
  if (reached(ctx) || count(ctx, 'succeed') < quorum) return step;
  const winners = ctx.branches.filter((r) => r.op === 'action' && r.status === 'succeed').slice(0, quorum).map((r) => r.branchId);
  return startCompensations({ ctx: { ...ctx, ext: { ...ctx.ext, winners } }, effects: step.effects }, at);
}

/** A CronFired pass: take the cron lease, unblock waiting rows, retry what is due. */
export function cronPass(ctx: TransContext, at: number, phase: 'submitted' | 'aborting'): Step {
  const c = unblockAll(lease(ctx, at));
  return phase === 'submitted' && !reached(c) ? startActions(c, at) : startCompensations({ ctx: c, effects: [] }, at);
}

/** Entering aborting: the reason becomes rollback_reason; every step that may have run is undone. */
export function beginAbort(ctx: TransContext, at: number): Step {
  const reason = ctx.abortReason ?? ctx.rollbackReason;
  return startCompensations({ ctx: { ...ctx, rollbackReason: reason, abortReason: undefined, updateTime: at }, effects: [] }, at);
}

function retryLater(ctx: TransContext, e: BranchResultEvent, status: string, url: string): Step {
  if (e.type === 'BranchOngoing') return { ctx: touch(ctx, 'keep', e.at), effects: [] };
  const next = touch(ctx, 'backoff', e.at);
  const alert = alertAfterBackoff(next, status, url, e.message ?? '');
  const effects: Effect[] = alert ? [{ type: 'notify', params: alert }] : [];
  return { ctx: next, effects };
}

/** A branch answer in `submitted` or `aborting`. Stale or duplicate answers change nothing. */
export function onResult(ctx: TransContext, e: BranchResultEvent, phase: 'submitted' | 'aborting'): Step {
  const i = rowForResult(ctx, e);
  if (i < 0) return { ctx, effects: [] };
  const row = ctx.branches[i]!;
  let step: Step;
  if (e.type === 'BranchSucceeded') {
    step = { ctx: touch(settleRow(ctx, i, e.at, 'succeed', false), 'reset', e.at), effects: [] };
  } else if (e.type === 'BranchFailed' && row.op === 'action') {
    step = { ctx: settleRow(ctx, i, e.at, 'failed', false), effects: [] };
    if (phase === 'submitted' && !reached(step.ctx) && unreachable(step.ctx)) {
      const { quorum } = extOf(ctx);
      const reason = `quorum ${quorum} of ${stepCount(ctx)} unreachable: url:${row.url} return failed: ${withFailureSuffix(e.message ?? '')}`;
      step = { ctx: { ...step.ctx, abortReason: reason }, effects: [] };
    }
  } else {
    // ONGOING or error (a compensation FAILURE too): wait for the next pass, as saga does.
    step = retryLater(settleRow(ctx, i, e.at, undefined, true), e, phase, row.url);
  }
  const next = phase === 'submitted' && !reached(step.ctx) ? settleQuorum(step, e.at) : startCompensations(step, e.at);
  return next;
}
