import type { AnyStateMachine } from 'xstate';
import type { CallResult, Effect, TransSpec, TransStatus } from './vocabulary.js';
import { hasInflight, outstandingCalls } from './branch-calls.js';
import { withFailureSuffix, type TransContext } from './trans-context.js';
import { timeoutDeadline } from './schedule.js';

/**
 * A transaction type: a pure machine over the shared vocabulary, plus pure hooks the engine
 * needs. Users register their own types the same way (registerTransType in the public API).
 */
export interface TransTypeDefinition {
  readonly name: string;
  readonly machine: AnyStateMachine;
  /** Validates a creation request; returns an error text naming the problem, or undefined. */
  validate?(spec: TransSpec): string | undefined;
  /**
   * Topics whose subscribers the engine must record in `spec.topicUrls` before a prepare or submit
   * is decided (msg's `topic://<name>` steps); none by default.
   */
  topics?(spec: TransSpec): readonly string[];
  /** When the engine must fire CronFired next; undefined = nothing scheduled. */
  dueAt?(ctx: TransContext, status: TransStatus): number | undefined;
  /** Calls to re-drive after recovery (default: every in-flight call). */
  outstanding?(ctx: TransContext): Effect[];
  /**
   * A request the load-time determinism probe of a custom type creates (default: three
   * saga-shaped steps, empty custom_data). Give one when the type needs its own custom_data.
   */
  readonly probeSpec?: TransSpec;
}

export type WaitOutcome = { readonly result: CallResult; readonly message: string };

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['succeed', 'failed']);

export function isFinal(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

/** Default due time: the stored next cron time, earlier when a timeout_to_fail expires first. */
export function defaultDueAt(ctx: TransContext, status: TransStatus): number | undefined {
  if (isFinal(status)) return undefined;
  if (status === 'prepared' && ctx.transType === 'saga') return undefined; // a prepared saga is never processed (spec §16.27)
  const deadline = status === 'submitted' && ctx.transType === 'saga' ? timeoutDeadline(ctx, ctx.options.timeoutToFail) : undefined;
  return deadline === undefined ? ctx.nextCronTime : Math.min(ctx.nextCronTime, deadline);
}

export function dueAtOf(def: TransTypeDefinition, ctx: TransContext, status: TransStatus): number | undefined {
  return def.dueAt ? def.dueAt(ctx, status) : defaultDueAt(ctx, status);
}

export function outstandingOf(def: TransTypeDefinition, ctx: TransContext): Effect[] {
  return def.outstanding ? def.outstanding(ctx) : outstandingCalls(ctx);
}

/** A pass is over when the transaction finished or no call is out any more (spec §7.1). */
export function isSettled(ctx: TransContext, status: string): boolean {
  return isFinal(status) || !hasInflight(ctx);
}

const PASS_ERROR_PREFIX = 'your http/grpc result should be specified as in:\nhttp://d.dtm.pub/practice/arch.html#proto\nunkown result will be retried: ';

/** What a wait_result submit answers once its pass settled (spec §7.1 step 3). */
export function waitOutcome(ctx: TransContext, status: string): WaitOutcome {
  if (status === 'succeed') return { result: 'SUCCESS', message: '' };
  const pe = ctx.passError;
  if (pe !== undefined && pe.result !== 'SUCCESS' && status !== 'failed') {
    // tcc/xa: a phase-2 call answered ONGOING ends the pass with ONGOING (425 / FailedPrecondition)
    if (pe.result === 'ONGOING') return { result: 'ONGOING', message: pe.message };
    const message = PASS_ERROR_PREFIX + pe.message;
    return pe.result === 'FAILURE' ? { result: 'FAILURE', message: withFailureSuffix(message) } : { result: 'ERROR', message };
  }
  const reason = ctx.rollbackReason;
  return { result: 'FAILURE', message: reason !== '' ? withFailureSuffix(reason) : 'wait result not return success: FAILURE' };
}
