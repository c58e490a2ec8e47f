import type { BranchResultEvent, CallBranchParams, Effect } from './vocabulary.js';
import { withRow, type BranchRow, type TransContext } from './trans-context.js';

/**
 * Call bookkeeping shared by every type: starting a call marks the row in flight and bumps its
 * attempt; a result is folded only if it answers the current attempt of an in-flight call, so
 * duplicated or late answers change nothing (exactly-once transitions).
 */

export interface Step {
  readonly ctx: TransContext;
  readonly effects: Effect[];
}

export function callParams(row: BranchRow, attempt: number, forcePost = false): CallBranchParams {
  return { branchId: row.branchId, op: row.op, url: row.url, attempt, payload: row.binData, ...(forcePost ? { forcePost } : {}) };
}

/**
 * Starts a call on row `index`. An empty URL succeeds at once without a call (spec §6.1), so a
 * saga of empty URLs completes inside the event that created it.
 */
export function startCall(step: Step, index: number, at: number, forcePost = false): Step {
  const row = step.ctx.branches[index];
  if (row === undefined) return step;
  if (row.url === '') {
    return { ctx: withRow(step.ctx, index, { status: 'succeed', updateTime: at, finishTime: at, blocked: false }), effects: step.effects };
  }
  const attempt = row.attempt + 1;
  const ctx = withRow(step.ctx, index, { attempt, inflight: true, blocked: false });
  return { ctx, effects: [...step.effects, { type: 'callBranch', params: callParams(row, attempt, forcePost) }] };
}

/** Index of the row this result answers, or -1 when it is stale/duplicate/unknown. */
export function rowForResult(ctx: TransContext, e: BranchResultEvent): number {
  return ctx.branches.findIndex((r) => r.branchId === e.branchId && r.op === e.op && r.inflight && r.attempt === e.attempt);
}

export function isStaleResult(ctx: TransContext, e: BranchResultEvent): boolean {
  const side = ctx.sideCall;
  if (side !== undefined && e.branchId === side.branchId && e.op === side.op) return !(side.inflight && side.attempt === e.attempt);
  return rowForResult(ctx, e) < 0;
}

/** Applies SUCCESS/FAILURE-as-status to a row and clears the in-flight mark. */
export function settleRow(ctx: TransContext, index: number, at: number, status: BranchRow['status'] | undefined, blocked: boolean): TransContext {
  const patch: Partial<BranchRow> = { inflight: false, blocked, updateTime: at };
  if (status !== undefined && status !== 'prepared') Object.assign(patch, { status, finishTime: at });
  return withRow(ctx, index, patch);
}

/** Clears `blocked` on every row: a new pass may call them again. */
export function unblockAll(ctx: TransContext): TransContext {
  if (!ctx.branches.some((r) => r.blocked)) return ctx;
  return { ...ctx, branches: ctx.branches.map((r) => (r.blocked ? { ...r, blocked: false } : r)) };
}

/** Effects that re-drive every call still in flight (recovery after a crash). */
export function outstandingCalls(ctx: TransContext, forcePost = false): Effect[] {
  const effects: Effect[] = ctx.branches
    .filter((r) => r.inflight)
    .map((r) => ({ type: 'callBranch', params: callParams(r, r.attempt, forcePost) }));
  const side = ctx.sideCall;
  if (side?.inflight === true) {
    const { branchId, op, url, attempt, payload, wrapIn } = side;
    effects.push({ type: 'callBranch', params: { branchId, op, url, attempt, payload, ...(wrapIn ? { wrapIn } : {}) } });
  }
  return effects;
}

export function hasInflight(ctx: TransContext): boolean {
  return ctx.branches.some((r) => r.inflight) || ctx.sideCall?.inflight === true;
}
