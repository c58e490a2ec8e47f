import type { Effect, RejectParams, TransEvent, TransSpec, TransStatus } from './vocabulary.js';
import { EMPTY_CONTEXT, type BranchRow, type TransContext } from './trans-context.js';
import { resetInterval } from './schedule.js';

/** Creation, finishing and dtm's rejection texts, shared by every built-in type. */

type Created = Extract<TransEvent, { type: 'TransCreated' }>;

export function createContext(e: Created, rows: BranchRow[], ext: Record<string, unknown>): TransContext {
  const s = e.spec;
  const base: TransContext = {
    ...EMPTY_CONTEXT,
    gid: s.gid,
    transType: s.transType,
    protocol: s.protocol,
    spec: s,
    options: s.options,
    limits: e.limits,
    customData: s.customData,
    queryPrepared: s.queryPrepared,
    createTime: e.at,
    updateTime: e.at,
    rollbackReason: s.rollbackReason,
    branches: rows,
    ext,
  };
  const interval = resetInterval(base);
  return { ...base, nextCronInterval: interval, nextCronTime: e.at + interval * 1000 };
}

export function finishSucceed(ctx: TransContext, at: number): TransContext {
  return { ...ctx, finishTime: at, updateTime: at, abortReason: undefined };
}

export function finishFailed(ctx: TransContext, at: number): TransContext {
  return { ...ctx, rollbackTime: at, updateTime: at, abortReason: undefined };
}

/** Same trans_type, steps and payloads: a repeated prepare/submit of the same request. */
export function sameBody(stored: TransSpec | undefined, req: TransSpec | undefined): boolean {
  if (stored === undefined || req === undefined) return true;
  if (req.steps.length === 0 && req.payloads.length === 0) return stored.transType === req.transType;
  return (
    stored.transType === req.transType &&
    JSON.stringify(stored.steps) === JSON.stringify(req.steps) &&
    JSON.stringify(stored.payloads) === JSON.stringify(req.payloads)
  );
}

const failure = (message: string, code?: string): RejectParams => ({ result: 'FAILURE', message, ...(code ? { code } : {}) });

/** dtm's texts (spec §5), typos included: clients match on them (spec §16.8). */
/** dtx's code for a call the transaction's status does not allow (docs/errors.md). */
const INVALID_TRANSITION = 'DTX_INVALID_TRANSITION';

export const rejections = {
  prepare: (s: TransStatus) => failure(`current status '${s}', cannot prepare. FAILURE`, INVALID_TRANSITION),
  submit: (s: TransStatus) => failure(`current status '${s}', cannot sumbmit. FAILURE`, INVALID_TRANSITION),
  abort: (type: string, s: TransStatus) => failure(`trans type: '${type}' current status '${s}', cannot abort. FAILURE`, INVALID_TRANSITION),
  forceStop: (s: TransStatus) => failure(`global transaction force stop error. status: ${s}. error: FAILURE`, INVALID_TRANSITION),
  duplicateGid: (gid: string) =>
    failure(`gid '${gid}' already exists with a different trans_type, steps or payloads FAILURE`, 'DTX_DUPLICATE_GID'),
};

export function rejectEffect(params: RejectParams): Effect {
  return { type: 'reject', params };
}
