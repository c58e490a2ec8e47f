import type { BranchRegistration, BranchResultEvent, RejectParams, TransEvent } from './vocabulary.js';
import { newRow, type BranchRow, type TransContext } from './trans-context.js';
import type { Step } from './branch-calls.js';
import { lease } from './schedule.js';

/**
 * WORKFLOW (spec §7.7): the client runs the workflow and records each step's outcome as a progress
 * row (registerBranch `{branch_id, op, status, data}`); its submit carries the end (`req_extra`,
 * spec §5.4). dtx only keeps the record and, while the workflow is prepared, calls the client's
 * resume callback (`query_prepared`, branch `00`, op = the workflow's name, payload = its input)
 * on every cron pass, so that a client that crashed mid-workflow runs it again.
 */

/** custom_data `{"name": <workflow name>, "data": <base64 input or null>}` (spec §2.5), parsed at creation. */
export interface WorkflowExt {
  readonly name: string;
  /** base64 of the workflow's input ('' for none) */
  readonly data: string;
}

export const RESUME_BRANCH_ID = '00';

/** Go's encoding/json matches `name`/`data` case-insensitively: so does dtx (custom-data-rules.ts validated it). */
export function parseWorkflowExt(customData: string): WorkflowExt {
  const obj = (JSON.parse(customData) ?? {}) as Record<string, unknown>;
  const pick = (k: string): unknown => obj[Object.keys(obj).find((key) => key.toLowerCase() === k) ?? k];
  const name = pick('name');
  const data = pick('data');
  return { name: typeof name === 'string' ? name : '', data: typeof data === 'string' ? data : '' };
}

export const PROGRESS_STATUSES: readonly string[] = ['succeed', 'failed'];
const PROGRESS_OP = /^[0-9A-Za-z._~-]{1,64}$/;

type Registered = Extract<TransEvent, { type: 'BranchRegistered' }>;
const registrationOf = (e: TransEvent): BranchRegistration => e as Registered;

/** What is wrong with a progress registration (it names the field), or undefined. */
export function progressProblem(e: TransEvent): RejectParams | undefined {
  const f = registrationOf(e).fields;
  const bad = (message: string): RejectParams => ({ result: 'ERROR', message, code: 'DTX_BAD_REQUEST' });
  if (!PROGRESS_OP.test(f.op ?? '')) return bad('op: a workflow progress needs an op of 1-64 characters of [0-9A-Za-z._~-] (action, commit, rollback, ...)');
  if (!PROGRESS_STATUSES.includes(f.status ?? '')) return bad('status: a workflow progress is succeed or failed');
  return undefined;
}

/** The one row a progress registration adds: the step's outcome as status, its output (or error text) as data. */
export function progressRow(e: TransEvent): BranchRow {
  const r = registrationOf(e);
  return { ...newRow(r.branchId, r.fields.op ?? '', '', r.payload, e.at), status: r.fields.status === 'failed' ? 'failed' : 'succeed' };
}

const storedProgress = (ctx: TransContext, e: TransEvent): BranchRow | undefined => {
  const r = registrationOf(e);
  return ctx.branches.find((b) => b.branchId === r.branchId && b.op === (r.fields.op ?? ''));
};

/** The same step outcome again (a retried registerBranch): accepted, nothing changes. */
export function isRepeatedProgress(ctx: TransContext, e: TransEvent): boolean {
  const stored = storedProgress(ctx, e);
  const row = progressRow(e);
  return stored !== undefined && stored.status === row.status && stored.binData === row.binData;
}

/** Another outcome for a recorded `(branch_id, op)` (dtm: a unique-key error, spec §5.5). */
export function isConflictingProgress(ctx: TransContext, e: TransEvent): boolean {
  return storedProgress(ctx, e) !== undefined;
}

export function addProgress(ctx: TransContext, e: TransEvent): TransContext {
  return { ...ctx, branches: [...ctx.branches, progressRow(e)], updateTime: e.at };
}

/** The end a submit reports (`req_extra.status`), or undefined when it names none. */
export function submittedEnd(e: TransEvent): 'succeed' | 'failed' | undefined {
  const status = e.type === 'TransSubmitted' ? e.spec?.reqExtra?.status : undefined;
  return status === 'succeed' || status === 'failed' ? status : undefined;
}

/** `req_extra.rollback_reason` and `result` are stored when non-empty (spec §5.4). */
export function recordEnd(ctx: TransContext, e: TransEvent): TransContext {
  const extra = (e.type === 'TransSubmitted' ? e.spec?.reqExtra : undefined) ?? {};
  return {
    ...ctx,
    updateTime: e.at,
    ...(extra.rollback_reason ? { rollbackReason: extra.rollback_reason } : {}),
    ...(extra.result ? { result: extra.result } : {}),
  };
}

/**
 * A cron pass (spec §7.7): claim the lease (config RetryInterval: fixed interval, no backoff, no
 * timeout), then call the resume callback unless a call of it is still out. The callback's answer
 * only settles the call: the workflow ends by the client's submit, never by dtx.
 */
export function resumePass(ctx: TransContext, at: number): Step {
  const c = lease(ctx, at);
  if (ctx.sideCall?.inflight === true || ctx.queryPrepared === '') return { ctx: c, effects: [] };
  const ext = ctx.ext as unknown as WorkflowExt;
  const attempt = (ctx.sideCall?.attempt ?? 0) + 1;
  // dtm wraps the input by the transaction's protocol, not by the URL's transport
  const wrap = ctx.protocol === 'grpc' ? { wrapIn: 'workflow.WorkflowData' as const } : {};
  const call = { branchId: RESUME_BRANCH_ID, op: ext.name, url: ctx.queryPrepared, attempt, payload: ext.data, ...wrap };
  return { ctx: { ...c, sideCall: { ...call, inflight: true } }, effects: [{ type: 'callBranch', params: call }] };
}

/** The answer to the callback call out now (stale and duplicated answers are not). */
export function isResumeAnswer(ctx: TransContext, e: TransEvent): boolean {
  const side = ctx.sideCall;
  const r = e as BranchResultEvent;
  return side !== undefined && side.inflight && r.branchId === side.branchId && r.op === side.op && r.attempt === side.attempt;
}

/** The callback answered: whatever it says, the workflow waits for the client's submit or the next pass. */
export function settleResume(ctx: TransContext): TransContext {
  return ctx.sideCall ? { ...ctx, sideCall: { ...ctx.sideCall, inflight: false } } : ctx;
}
