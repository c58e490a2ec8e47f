import type { BranchResultEvent, Effect, TransSpec } from './vocabulary.js';
import { newRow, withoutPassError, type TransContext } from './trans-context.js';
import { rowForResult, settleRow, startCall, unblockAll, type Step } from './branch-calls.js';
import { alertAfterBackoff, lease, touch } from './schedule.js';

/** MSG context updates (spec §7.4): query-back while prepared, then the actions in row order. */

export interface MsgExt {
  /** seconds to wait after creation before calling actions (custom_data.delay) */
  readonly delay: number;
}

export function parseMsgExt(customData: string): MsgExt {
  if (customData === '') return { delay: 0 };
  const obj = JSON.parse(customData) as Record<string, unknown> | null;
  // dtm's field has no json tag: Go matches `delay` case-insensitively.
  const key = Object.keys(obj ?? {}).find((k) => k.toLowerCase() === 'delay');
  const delay = key === undefined ? 0 : Number(obj?.[key]);
  return { delay: Number.isFinite(delay) && delay > 0 ? delay : 0 };
}

/** A msg step's action naming a topic: its subscribers are the step's URLs (spec §7.4.1). */
export const MSG_TOPIC_PREFIX = 'topic://';

/** The topics a msg's steps name (the engine records their subscribers in `spec.topicUrls`). */
export function msgTopicNames(spec: TransSpec): string[] {
  return spec.steps.map((s) => s.action ?? '').filter((a) => a.startsWith(MSG_TOPIC_PREFIX)).map((a) => a.slice(MSG_TOPIC_PREFIX.length));
}

/** 'topic not found' when a topic step has no recorded subscribers (the engine refuses those first). */
export function msgTopicProblem(spec: TransSpec): string | undefined {
  return msgTopicNames(spec).some((name) => (spec.topicUrls?.[name]?.length ?? 0) === 0) ? 'topic not found' : undefined;
}

const two = (n: number) => String(n).padStart(2, '0');

/** One row per step; a topic step fans out to one row per subscriber: `01-01`, `01-02` (one subscriber: `01`). */
export function msgRows(spec: TransSpec, at: number) {
  return spec.steps.flatMap((step, i) => {
    const action = step.action ?? '';
    const urls = action.startsWith(MSG_TOPIC_PREFIX) ? (spec.topicUrls?.[action.slice(MSG_TOPIC_PREFIX.length)] ?? []) : [action];
    return urls.map((url, j) => newRow(urls.length === 1 ? two(i + 1) : `${two(i + 1)}-${two(j + 1)}`, 'action', url, spec.payloads[i] ?? '', at));
  });
}

export function queryTimeout(ctx: TransContext): number {
  return ctx.options.timeoutToFail > 0 ? ctx.options.timeoutToFail : ctx.limits.timeoutToFail;
}

/** A prepared msg is first due when its timeout expires: that is when it is queried back. */
export function schedulePrepared(ctx: TransContext): TransContext {
  return { ...ctx, nextCronTime: ctx.createTime + queryTimeout(ctx) * 1000 };
}

export function isQueryDue(ctx: TransContext, at: number): boolean {
  return at >= ctx.createTime + queryTimeout(ctx) * 1000;
}

export function startQueryBack(ctx: TransContext, at: number): Step {
  if (ctx.sideCall?.inflight === true) return { ctx, effects: [] };
  const c = lease(ctx, at);
  const attempt = (ctx.sideCall?.attempt ?? 0) + 1;
  const sideCall = { branchId: '00', op: 'msg', url: ctx.queryPrepared, payload: '', attempt, inflight: true };
  if (ctx.queryPrepared === '') {
    // Empty query_prepared counts as SUCCESS without a call (spec §6.1).
    return { ctx: { ...c, sideCall: { ...sideCall, inflight: false } }, effects: [] };
  }
  return { ctx: { ...c, sideCall }, effects: [{ type: 'callBranch', params: { branchId: '00', op: 'msg', url: ctx.queryPrepared, attempt, payload: '' } }] };
}

export function settleQuery(ctx: TransContext): TransContext {
  return ctx.sideCall ? { ...ctx, sideCall: { ...ctx.sideCall, inflight: false } } : ctx;
}

export function onQueryRetry(ctx: TransContext, e: BranchResultEvent): Step {
  const c = settleQuery(ctx);
  if (e.type === 'BranchOngoing') return { ctx: touch(c, 'reset', e.at), effects: [] };
  const next = touch(c, 'backoff', e.at);
  const alert = alertAfterBackoff(next, 'prepared', ctx.queryPrepared, e.message ?? '');
  return { ctx: next, effects: alert ? [{ type: 'notify', params: alert }] : [] };
}

/** One forward pass: honour the delay, then call prepared rows (in order, or all if concurrent). */
export function msgPass(ctx: TransContext, at: number): Step {
  const delay = (ctx.ext as unknown as MsgExt).delay;
  if (delay > 0 && at < ctx.createTime + delay * 1000) {
    return { ctx: { ...ctx, nextCronTime: ctx.createTime + delay * 1000, updateTime: at }, effects: [] };
  }
  let step: Step = { ctx, effects: [] };
  for (let i = 0; i < step.ctx.branches.length; i++) {
    const row = step.ctx.branches[i]!;
    if (row.status === 'succeed') continue;
    if (row.inflight || row.blocked) {
      if (ctx.options.concurrent) continue;
      return step;
    }
    step = startCall(step, i, at);
    if (!ctx.options.concurrent && step.ctx.branches[i]!.status !== 'succeed') return step;
  }
  return step;
}

/** A pass started by a repeated submit (spec §5.3: re-process): like a cron pass, without the lease. */
export function msgRepass(ctx: TransContext, at: number): Step {
  return msgPass(withoutPassError(unblockAll(ctx)), at);
}

export function msgCronPass(ctx: TransContext, at: number): Step {
  return msgPass(withoutPassError(unblockAll(lease(ctx, at))), at);
}

/** A result of an action row. FAILURE of a msg action is just an error, retried (spec §7.4.2). */
export function onMsgResult(ctx: TransContext, e: BranchResultEvent): Step {
  const i = rowForResult(ctx, e);
  if (i < 0) return { ctx, effects: [] };
  const row = ctx.branches[i]!;
  if (e.type === 'BranchSucceeded') return msgPass(touch(settleRow(ctx, i, e.at, 'succeed', false), 'reset', e.at), e.at);
  if (e.type === 'BranchOngoing') return { ctx: touch(settleRow(ctx, i, e.at, undefined, true), 'keep', e.at), effects: [] };
  const message = e.message ?? '';
  const base = touch(settleRow(ctx, i, e.at, undefined, true), 'backoff', e.at);
  const next = base.passError ? base : { ...base, passError: { result: e.type === 'BranchFailed' ? ('FAILURE' as const) : ('ERROR' as const), message } };
  const alert = alertAfterBackoff(next, 'submitted', row.url, message);
  const effects: Effect[] = alert ? [{ type: 'notify', params: alert }] : [];
  return { ctx: next, effects };
}
