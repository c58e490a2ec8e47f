import { dueAtOf, isFinal, type BranchRow, type TransContext, type TransStatus } from '../../machines/index.js';
import type { TransSummary } from '../log/event-log.js';
import type { LiveTransaction, Parked } from './live-transaction.js';
import { BoundedMemo } from '../bounded-memo.js';
import { dtmViewText, LONG, utf8, ViewPacker } from '../log/packed-view.js';

/**
 * dtm's JSON shapes (spec §2.2, §2.3) rendered from a machine context. Times are RFC 3339 (UTC).
 * This is the projection `query` and `all` return; it is derived, never read back into state.
 */

export interface DtmTransView {
  id: number;
  create_time: string;
  update_time: string;
  gid: string;
  trans_type: string;
  steps?: ReadonlyArray<Readonly<Record<string, string>>>;
  payloads?: string[];
  status: string;
  query_prepared?: string;
  protocol: string;
  finish_time?: string;
  rollback_time?: string;
  result?: string;
  rollback_reason?: string;
  options: string;
  custom_data?: string;
  next_cron_interval?: number;
  next_cron_time?: string;
  wait_result?: boolean;
  timeout_to_fail?: number;
  request_timeout?: number;
  retry_interval?: number;
  branch_headers?: Readonly<Record<string, string>>;
  retry_limit?: number;
  concurrent: boolean;
  /** dtx: acting on the transaction failed inside dtx; it waits for resetNextCronTime or forceStop. */
  dtx_parked?: { readonly reason: string; readonly since: string };
}

export interface DtmBranchView {
  id: number;
  create_time: string;
  update_time: string;
  gid: string;
  url?: string;
  bin_data?: string;
  branch_id: string;
  op: string;
  status: string;
  finish_time?: string;
}

/**
 * RFC 3339 UTC. A view repeats a few instants (created, updated, each branch's times) and the
 * views of one busy second share most of them, so recent ones are remembered.
 */
const instants = new BoundedMemo<number, string>(4096);
const isoOf = (ms: number): string => new Date(ms).toISOString();
export function rfc3339(ms: number): string {
  return instants.get(ms, isoOf);
}

/**
 * The `options` text. Rendered per view: a WeakMap cache keyed by the options object saved little
 * in serve and cost the audit ~3% (a new key per transaction, and ephemeron work in every
 * scavenge: docs/benchmarks.md, "Replay").
 */
function optionsText(o: TransContext['options']): string {
  const r: Record<string, unknown> = {};
  if (o.waitResult) r['wait_result'] = true;
  if (o.timeoutToFail) r['timeout_to_fail'] = o.timeoutToFail;
  if (o.requestTimeout) r['request_timeout'] = o.requestTimeout;
  if (o.retryInterval) r['retry_interval'] = o.retryInterval;
  if (Object.keys(o.branchHeaders).length) r['branch_headers'] = o.branchHeaders;
  if (o.retryLimit) r['retry_limit'] = o.retryLimit;
  r['concurrent'] = o.concurrent;
  return JSON.stringify(r);
}

/** The transaction's keys up to its steps; the payloads come next. */
function transHead(ctx: TransContext, status: string): DtmTransView {
  const o = ctx.options;
  const v: DtmTransView = {
    id: 0,
    create_time: rfc3339(ctx.createTime),
    update_time: rfc3339(ctx.updateTime),
    gid: ctx.gid,
    trans_type: ctx.transType,
    status,
    protocol: ctx.protocol,
    options: optionsText(o),
    concurrent: o.concurrent,
  };
  if (ctx.spec && ctx.spec.steps.length) v.steps = ctx.spec.steps;
  return v;
}

/** Sets the transaction's keys after its payloads on `v`, in their order. */
function setTail(v: Partial<DtmTransView>, ctx: TransContext, status: string, parked: Parked | undefined): void {
  const o = ctx.options;
  if (ctx.queryPrepared) v.query_prepared = ctx.queryPrepared;
  if (ctx.finishTime !== undefined && status === 'succeed') v.finish_time = rfc3339(ctx.finishTime);
  if (ctx.rollbackTime !== undefined && status === 'failed') v.rollback_time = rfc3339(ctx.rollbackTime);
  if (ctx.result) v.result = ctx.result;
  if (ctx.rollbackReason) v.rollback_reason = ctx.rollbackReason;
  if (ctx.customData) v.custom_data = ctx.customData;
  if (ctx.nextCronInterval) v.next_cron_interval = ctx.nextCronInterval;
  if (ctx.nextCronTime) v.next_cron_time = rfc3339(ctx.nextCronTime);
  if (o.waitResult) v.wait_result = true;
  if (o.timeoutToFail) v.timeout_to_fail = o.timeoutToFail;
  if (o.requestTimeout) v.request_timeout = o.requestTimeout;
  if (o.retryInterval) v.retry_interval = o.retryInterval;
  if (Object.keys(o.branchHeaders).length) v.branch_headers = o.branchHeaders;
  if (o.retryLimit) v.retry_limit = o.retryLimit;
  if (parked !== undefined) v.dtx_parked = { reason: parked.reason, since: rfc3339(parked.at) };
}

export function transView(ctx: TransContext, status: string, parked?: Parked): DtmTransView {
  const v = transHead(ctx, status);
  if (ctx.spec && ctx.spec.payloads.length) v.payloads = ctx.spec.payloads.map(utf8);
  setTail(v, ctx, status, parked);
  return v;
}

/** A branch's keys up to its url; bin_data and finish_time come next. */
function branchHead(gid: string, r: BranchRow): DtmBranchView {
  const v: DtmBranchView = {
    id: 0,
    create_time: rfc3339(r.createTime),
    update_time: rfc3339(r.updateTime),
    gid,
    branch_id: r.branchId,
    op: r.op,
    status: r.status,
  };
  if (r.url) v.url = r.url;
  return v;
}

export function branchView(gid: string, r: BranchRow): DtmBranchView {
  const v = branchHead(gid, r);
  if (r.binData) v.bin_data = r.binData;
  if (r.finishTime !== undefined) v.finish_time = rfc3339(r.finishTime);
  return v;
}

function hasLongPayload(ctx: TransContext): boolean {
  return (ctx.spec?.payloads.some((p) => p.length >= LONG) ?? false) || ctx.branches.some((b) => b.binData.length >= LONG);
}

/** `text` of an object without its closing brace, so that keys can follow. */
const open = (text: string): string => text.slice(0, -1);

function transactionText(ctx: TransContext, status: string, parked: Parked | undefined, pack: ViewPacker): string {
  const payloads = ctx.spec?.payloads ?? [];
  if (!payloads.some((p) => p.length >= LONG)) return JSON.stringify(transView(ctx, status, parked));
  const tail: Partial<DtmTransView> = {};
  setTail(tail, ctx, status, parked);
  const tailText = JSON.stringify(tail);
  const texts = payloads.map((p) => pack.payload(p));
  return `${open(JSON.stringify(transHead(ctx, status)))},"payloads":[${texts.join(',')}]${tailText === '{}' ? '}' : `,${tailText.slice(1)}`}`;
}

function branchText(gid: string, r: BranchRow, pack: ViewPacker): string {
  if (r.binData.length < LONG) return JSON.stringify(branchView(gid, r));
  const finish = r.finishTime === undefined ? '' : `,"finish_time":${JSON.stringify(rfc3339(r.finishTime))}`;
  return `${open(JSON.stringify(branchHead(gid, r)))},"bin_data":${pack.bin(r.binData)}${finish}}`;
}

/**
 * The view as the log stores it (TransSummary.view): `{"transaction":{...},"branches":[...]}`,
 * byte for byte JSON.stringify of the DtmTransView and DtmBranchView objects, or that text packed
 * when the view has long payloads or bin_data (packed-view.ts; test/unit/engine/trans-view-text.test.ts).
 */
export function storedView(ctx: TransContext, status: string, parked?: Parked): string {
  if (!hasLongPayload(ctx)) return JSON.stringify({ transaction: transView(ctx, status, parked), branches: ctx.branches.map((b) => branchView(ctx.gid, b)) });
  const pack = new ViewPacker();
  return pack.text(`{"transaction":${transactionText(ctx, status, parked, pack)},"branches":[${ctx.branches.map((b) => branchText(ctx.gid, b, pack)).join(',')}]}`);
}

/** The view's dtm JSON text: what query answers. */
export function renderView(ctx: TransContext, status: string, parked?: Parked): string {
  return dtmViewText(storedView(ctx, status, parked));
}

/** The projection row of a transaction (TransSummary): what query/all/resetCronTime read. */
export function summaryOf(live: LiveTransaction): TransSummary {
  const ctx = live.context;
  const status = live.status;
  return {
    gid: live.gid,
    transType: ctx.transType,
    status,
    createTime: ctx.createTime,
    updateTime: ctx.updateTime,
    nextCronTime: live.parked === undefined ? dueAtOf(live.def, ctx, status as TransStatus) : undefined,
    finished: isFinal(status),
    view: storedView(ctx, status, live.parked),
  };
}

/**
 * The projection row of a parked transaction whose state cannot be rendered at all (a bug in a
 * type's machine or in dtx): enough for query/all to show it and its cause, never thrown.
 */
export function fallbackSummaryOf(live: LiveTransaction, parked: Parked): TransSummary {
  const status = live.status;
  const transaction = { gid: live.gid, trans_type: live.context.transType, status, dtx_parked: { reason: parked.reason, since: new Date(parked.at).toISOString() } };
  return {
    gid: live.gid,
    transType: live.context.transType,
    status,
    createTime: Number.isFinite(live.context.createTime) ? live.context.createTime : parked.at,
    updateTime: parked.at,
    nextCronTime: undefined,
    finished: isFinal(status),
    view: JSON.stringify({ transaction, branches: [] }),
  };
}
