import type { AlertParams } from './vocabulary.js';
import type { TransContext } from './trans-context.js';

/**
 * dtm's scheduling rules (spec §8.3–§8.5) as pure functions of context and event time.
 * `nextCronTime` is the instant the engine's timer wheel fires a CronFired event.
 */

/** reset interval: retry_interval, else a short timeout_to_fail, else config RetryInterval. */
export function resetInterval(ctx: TransContext): number {
  const o = ctx.options;
  if (o.retryInterval > 0) return o.retryInterval;
  if (o.timeoutToFail > 0 && o.timeoutToFail < ctx.limits.retryInterval) return o.timeoutToFail;
  return ctx.limits.retryInterval;
}

export type TouchKind = 'reset' | 'keep' | 'backoff';

/** Sets the next pass `interval` seconds (or `delaySeconds` when given) after `at`. */
export function touch(ctx: TransContext, kind: TouchKind, at: number, delaySeconds = 0): TransContext {
  let interval = ctx.nextCronInterval;
  if (kind === 'reset') interval = resetInterval(ctx);
  // Capped backoff: dtm doubles forever (spec §16.2); dtx stops at limits.maxRetryInterval.
  else if (kind === 'backoff') interval = Math.min(Math.max(interval, 1) * 2, Math.max(ctx.limits.maxRetryInterval, resetInterval(ctx)));
  const wait = delaySeconds > 0 ? delaySeconds : interval;
  return { ...ctx, nextCronInterval: interval, nextCronTime: at + wait * 1000, updateTime: at };
}

/** The cron lease (spec §8.2): a pass claims the transaction for config RetryInterval seconds. */
export function lease(ctx: TransContext, at: number): TransContext {
  return { ...ctx, nextCronTime: at + ctx.limits.retryInterval * 1000, updateTime: at };
}

/** Alert webhook payload when consecutive backoffs reached AlertRetryLimit (spec §8.5). */
export function alertAfterBackoff(ctx: TransContext, status: string, branchUrl: string, error: string): AlertParams | undefined {
  const base = resetInterval(ctx);
  const retryCount = Math.floor(Math.log2(ctx.nextCronInterval / base));
  if (retryCount < ctx.limits.alertRetryLimit) return undefined;
  return { gid: ctx.gid, status, branch: branchUrl, error, retry_count: retryCount };
}

/** Deadline of timeout_to_fail (ms epoch) when it applies, else undefined. */
export function timeoutDeadline(ctx: TransContext, seconds: number): number | undefined {
  return seconds > 0 ? ctx.createTime + seconds * 1000 : undefined;
}
