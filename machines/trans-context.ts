import type { BranchStatus, CallResult, Limits, PayloadWrapper, TransOptions, TransSpec } from './vocabulary.js';

/** One branch-op row (spec §2.3), plus the call bookkeeping the engine needs to re-drive calls. */
export interface BranchRow {
  readonly branchId: string;
  readonly op: string;
  readonly url: string;
  /** base64 payload (bin_data) */
  readonly binData: string;
  readonly status: BranchStatus;
  readonly createTime: number;
  readonly updateTime: number;
  readonly finishTime?: number;
  /** Number of calls issued so far; a result must carry the current attempt. */
  readonly attempt: number;
  /** A call is out and its result has not been folded yet (re-driven on recovery). */
  readonly inflight: boolean;
  /** Answered ONGOING/error in this pass: wait for the next pass (cron) before calling again. */
  readonly blocked: boolean;
  /** saga: an action that may have run although it never reported success (compensate it). */
  readonly mayHaveExecuted?: boolean;
}

/** A call that is not a branch row (branch `00`: msg query-back with op `msg`, workflow resume with op = its name). */
export interface SideCall {
  readonly branchId: string;
  readonly op: string;
  readonly url: string;
  /** base64 payload */
  readonly payload: string;
  readonly attempt: number;
  readonly inflight: boolean;
  readonly wrapIn?: PayloadWrapper;
}

export interface TransContext {
  readonly gid: string;
  readonly transType: string;
  readonly protocol: string;
  readonly spec: TransSpec | undefined;
  readonly options: TransOptions;
  readonly limits: Limits;
  readonly customData: string;
  readonly queryPrepared: string;
  readonly createTime: number;
  readonly updateTime: number;
  readonly finishTime?: number;
  readonly rollbackTime?: number;
  readonly rollbackReason: string;
  readonly result: string;
  /** seconds */
  readonly nextCronInterval: number;
  /** ms epoch */
  readonly nextCronTime: number;
  readonly branches: readonly BranchRow[];
  /** saga retry_limit counter (spec §7.3.4); persisted through the fold. */
  readonly retryCount: number;
  /** First non-success answer of the current pass (what a wait_result submit reports for msg). */
  readonly passError?: { readonly result: CallResult; readonly message: string };
  /** Set when a forward phase must turn into a rollback; becomes rollbackReason. */
  readonly abortReason?: string;
  readonly sideCall?: SideCall;
  /** Type-specific settings parsed once at creation (saga orders, msg delay, ...). */
  readonly ext: Readonly<Record<string, unknown>>;
}

export const EMPTY_OPTIONS: TransOptions = {
  waitResult: false,
  timeoutToFail: 0,
  requestTimeout: 0,
  retryInterval: 0,
  branchHeaders: {},
  retryLimit: 0,
  concurrent: false,
};

export const EMPTY_LIMITS: Limits = {
  retryInterval: 10,
  timeoutToFail: 35,
  requestTimeout: 3,
  maxRetryInterval: 3600,
  alertRetryLimit: 3,
};

/**
 * Every context has every key, the optional ones undefined, in this order, and steps replace
 * values without adding or removing keys: then every context shares one hidden class and each
 * `{ ...ctx, k: v }` copy takes V8's fast path (a context of another shape made each copy 5-8x
 * slower: docs/benchmarks.md, "Replay"). The same holds for branch rows (`newRow`).
 */
export const EMPTY_CONTEXT: TransContext = {
  gid: '',
  transType: '',
  protocol: 'http',
  spec: undefined,
  options: EMPTY_OPTIONS,
  limits: EMPTY_LIMITS,
  customData: '',
  queryPrepared: '',
  createTime: 0,
  updateTime: 0,
  finishTime: undefined,
  rollbackTime: undefined,
  rollbackReason: '',
  result: '',
  nextCronInterval: 0,
  nextCronTime: 0,
  branches: [],
  retryCount: 0,
  passError: undefined,
  abortReason: undefined,
  sideCall: undefined,
  ext: {},
};

/**
 * Replaces row `index` immutably (machines must never mutate a snapshot's context). The new row
 * has BranchRow's keys, in newRow's order: make rows with `newRow`.
 */
export function withRow(ctx: TransContext, index: number, patch: Partial<BranchRow>): TransContext {
  const branches = ctx.branches.slice();
  const row = branches[index];
  if (row === undefined) return ctx;
  branches[index] = patchRow(row, patch);
  return { ...ctx, branches };
}

/**
 * `{ ...row, ...patch }` for a patch of BranchRow keys, written out: one literal of newRow's keys
 * in newRow's order, which V8 builds 3-4x faster than the two spreads (docs/benchmarks.md, "Replay").
 */
export function patchRow(row: BranchRow, p: Partial<BranchRow>): BranchRow {
  return {
    branchId: 'branchId' in p ? p.branchId! : row.branchId,
    op: 'op' in p ? p.op! : row.op,
    url: 'url' in p ? p.url! : row.url,
    binData: 'binData' in p ? p.binData! : row.binData,
    status: 'status' in p ? p.status! : row.status,
    createTime: 'createTime' in p ? p.createTime! : row.createTime,
    updateTime: 'updateTime' in p ? p.updateTime! : row.updateTime,
    finishTime: 'finishTime' in p ? p.finishTime : row.finishTime,
    attempt: 'attempt' in p ? p.attempt! : row.attempt,
    inflight: 'inflight' in p ? p.inflight! : row.inflight,
    blocked: 'blocked' in p ? p.blocked! : row.blocked,
    mayHaveExecuted: 'mayHaveExecuted' in p ? p.mayHaveExecuted : row.mayHaveExecuted,
  };
}

/** The context without its pass error; the key stays (every context has every key, see EMPTY_CONTEXT). */
export function withoutPassError(ctx: TransContext): TransContext {
  return ctx.passError === undefined ? ctx : { ...ctx, passError: undefined };
}

export function newRow(branchId: string, op: string, url: string, binData: string, at: number): BranchRow {
  return {
    branchId,
    op,
    url,
    binData,
    status: 'prepared',
    createTime: at,
    updateTime: at,
    finishTime: undefined,
    attempt: 0,
    inflight: false,
    blocked: false,
    mayHaveExecuted: undefined,
  };
}

/** Adds dtm's ` FAILURE` suffix unless already present (spec §6.5). */
export function withFailureSuffix(text: string): string {
  return text.endsWith(' FAILURE') || text === 'FAILURE' ? text : `${text} FAILURE`;
}
