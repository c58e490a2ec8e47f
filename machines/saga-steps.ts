import type { BranchResultEvent, Effect } from './vocabulary.js';
import { newRow, withFailureSuffix, type TransContext } from './trans-context.js';
import { startCall, rowForResult, settleRow, unblockAll, type Step } from './branch-calls.js';
import { alertAfterBackoff, lease, timeoutDeadline, touch } from './schedule.js';
import {
  actionIndex, anyActionFailed, markMayHaveExecuted, startableActions, startableCompensations,
} from './saga-plan.js';
import type { TransSpec } from './vocabulary.js';

/** The saga's context updates (spec §7.3), each returning the new context and the effects it names. */

export function sagaRows(spec: TransSpec, at: number) {
  return spec.steps.flatMap((step, i) => {
    const id = String(i + 1).padStart(2, '0');
    const payload = spec.payloads[i] ?? '';
    return [newRow(id, 'compensate', step.compensate ?? '', payload, at), newRow(id, 'action', step.action ?? '', payload, at)];
  });
}

function startAll(step: Step, pick: (ctx: TransContext) => number[], rowOf: (k: number) => number, at: number): Step {
  let cur = step;
  for (;;) {
    const ks = pick(cur.ctx);
    if (ks.length === 0) return cur;
    const before = cur.ctx;
    for (const k of ks) cur = startCall(cur, rowOf(k), at);
    // Only empty-URL rows finish synchronously; they can make further steps runnable.
    if (!cur.ctx.branches.some((r, i) => r.status !== before.branches[i]?.status)) return cur;
  }
}

/** Past timeout_to_fail no action starts or is retried: the saga turns to aborting (spec §7.3.3 steps 1-2). */
function pastDeadline(ctx: TransContext, at: number): boolean {
  const deadline = timeoutDeadline(ctx, ctx.options.timeoutToFail);
  return deadline !== undefined && at >= deadline;
}

export function startForward(ctx: TransContext, at: number): Step {
  const step: Step = { ctx, effects: [] };
  if (ctx.abortReason !== undefined || anyActionFailed(ctx)) return step;
  if (pastDeadline(ctx, at)) return step;
  return startAll(step, startableActions, actionIndex, at);
}

export function startCompensations(ctx: TransContext, at: number): Step {
  return startAll({ ctx, effects: [] }, startableCompensations, (k) => 2 * k, at);
}

export function beginRollback(ctx: TransContext, at: number): Step {
  const reason = ctx.abortReason ?? ctx.rollbackReason;
  const marked = markMayHaveExecuted({ ...ctx, rollbackReason: reason, abortReason: undefined, updateTime: at });
  return startCompensations(marked, at);
}

export function cronPass(ctx: TransContext, at: number, phase: 'forward' | 'rollback'): Step {
  const c = unblockAll(lease(ctx, at));
  return phase === 'forward' ? startForward(c, at) : startCompensations(c, at);
}

function backoffWithAlert(ctx: TransContext, at: number, status: string, url: string, msg: string): Step {
  const next = touch(ctx, 'backoff', at);
  const alert = alertAfterBackoff(next, status, url, msg);
  const effects: Effect[] = alert ? [{ type: 'notify', params: alert }] : [];
  return { ctx: next, effects };
}

/** A result while `submitted`: actions move forward; FAILURE / retry_limit set abortReason. */
export function onForwardResult(ctx: TransContext, e: BranchResultEvent): Step {
  const i = rowForResult(ctx, e);
  if (i < 0) return { ctx, effects: [] };
  const row = ctx.branches[i]!;
  const msg = e.message ?? '';
  if (e.type === 'BranchSucceeded') {
    return startForward(touch(settleRow(ctx, i, e.at, 'succeed', false), 'reset', e.at), e.at);
  }
  if (e.type === 'BranchFailed' && row.op === 'action') {
    const failed = settleRow(ctx, i, e.at, 'failed', false);
    return { ctx: { ...failed, abortReason: `url:${row.url} return failed: ${withFailureSuffix(msg)}` }, effects: [] };
  }
  // ONGOING or error: wait for the next pass, unless retry_limit asks for an immediate retry.
  let step: Step =
    e.type === 'BranchOngoing'
      ? { ctx: touch(settleRow(ctx, i, e.at, undefined, true), 'keep', e.at), effects: [] }
      : backoffWithAlert(settleRow(ctx, i, e.at, undefined, true), e.at, 'submitted', row.url, msg);
  const limit = ctx.options.retryLimit;
  if (limit > 0 && row.op === 'action' && !pastDeadline(ctx, e.at)) {
    if (step.ctx.retryCount < limit) {
      step = startCall({ ctx: { ...step.ctx, retryCount: step.ctx.retryCount + 1 }, effects: step.effects }, i, e.at);
    } else {
      step = { ctx: { ...step.ctx, abortReason: `RetryCount is greater than RetryLimit, RetryLimit: ${limit}` }, effects: step.effects };
    }
  }
  const fwd = startForward(step.ctx, e.at);
  return { ctx: fwd.ctx, effects: [...step.effects, ...fwd.effects] };
}

/** A result while `aborting`: late action answers settle, compensations move backwards. */
export function onRollbackResult(ctx: TransContext, e: BranchResultEvent): Step {
  const i = rowForResult(ctx, e);
  if (i < 0) return { ctx, effects: [] };
  const row = ctx.branches[i]!;
  const msg = e.message ?? '';
  let step: Step;
  if (row.op === 'action') {
    const status = e.type === 'BranchSucceeded' ? 'succeed' : e.type === 'BranchFailed' ? 'failed' : undefined;
    const settled = settleRow(ctx, i, e.at, status, false);
    step = { ctx: status === undefined ? { ...settled, branches: settled.branches.map((r, j) => (j === i ? { ...r, mayHaveExecuted: true } : r)) } : settled, effects: [] };
  } else if (e.type === 'BranchSucceeded') {
    step = { ctx: touch(settleRow(ctx, i, e.at, 'succeed', false), 'reset', e.at), effects: [] };
  } else if (e.type === 'BranchOngoing') {
    step = { ctx: touch(settleRow(ctx, i, e.at, undefined, true), 'keep', e.at), effects: [] };
  } else {
    step = backoffWithAlert(settleRow(ctx, i, e.at, undefined, true), e.at, 'aborting', row.url, msg);
  }
  const next = startCompensations(step.ctx, e.at);
  return { ctx: next.ctx, effects: [...step.effects, ...next.effects] };
}
