import type { Logger } from 'pino';
import { CoordinatorError } from '../errors.js';
import { errorKind, RepeatGate, withRecurred } from '../observability/repeat-gate.js';
import type { Clock } from './clock.js';
import type { EffectRunner } from './effect-runner.js';
import type { EngineObserver } from './engine-observer.js';
import { logFinished } from './finished-line.js';
import type { LiveTransaction } from './live-transaction.js';
import type { ProcessorHooks } from './processor-hooks.js';
import type { TimerWheel } from './timer-wheel.js';

/** The engine's parts its partition processors act through. */
export interface EngineHookParts {
  readonly effects: EffectRunner;
  readonly timers: TimerWheel;
  readonly clock: Clock;
  /** the engine's logger */
  readonly logger: Logger;
  readonly observer: EngineObserver | undefined;
  readonly committed: (p: number, touched: readonly LiveTransaction[], records: number) => void;
  /** the partition's writes were refused: the engine revokes it and tells its owner */
  readonly lost: (p: number, fenced: boolean) => void;
}

/** A failed append of one kind is logged at most once per this window (with the count held back). */
export const APPEND_FAILURE_LOG_MS = 10_000;

/**
 * The hooks every processor of one engine shares: effects run by the effect runner, due times on
 * the timer wheel, the engine's clock, finished and parked transactions logged and observed (a
 * parked one also alerts, as a branch's failure does), failed appends counted and logged through
 * a RepeatGate (a full disk fails every batch of every partition).
 */
export function engineHooks(x: EngineHookParts): ProcessorHooks {
  const { effects, timers, clock, logger, observer } = x;
  const appendFailures = new RepeatGate(APPEND_FAILURE_LOG_MS, () => clock.now());
  let failing = false;
  return {
    perform: (live, named) => effects.perform(live, named),
    schedule: (gid, at) => timers.set(gid, at),
    now: () => clock.now(),
    later: (fn, ms) => void clock.setTimeout(fn, ms),
    finished: (live) => {
      logFinished(logger, live);
      observer?.transactionFinished?.(live.context.transType, live.status, live.context.createTime, live.context.updateTime);
    },
    cancel: (gid) => effects.cancel(gid),
    parked: (live, reason) => {
      logger.error({ gid: live.gid, status: live.status, reason }, 'transaction parked: acting on it failed inside dtx; resetNextCronTime retries it, forceStop ends it');
      observer?.transactionParked?.(live.context.transType);
      effects.alert({ gid: live.gid, status: live.status, branch: '', error: `parked: ${reason}`, retry_count: 0 }, live.context.limits.requestTimeout);
    },
    appendFailed: (partition, err, records) => {
      observer?.appendFailed?.(err instanceof CoordinatorError ? err.code : 'DTX_INTERNAL');
      failing = true;
      const recurred = appendFailures.pass(errorKind(err));
      // `partition` and `records`: the batch this line was written for (one failed commit fails the batch of every partition in it)
      if (recurred !== undefined) logger.error({ err, partition, records, recurred }, withRecurred('append failed; batch rejected', recurred));
    },
    committed: (p, touched, records) => {
      // gated too: on a nearly full disk small commits succeed between the large ones that fail
      if (failing) {
        failing = false;
        if (appendFailures.pass('recovered') !== undefined) logger.info({ partition: p }, 'appends succeed again');
      }
      x.committed(p, touched, records);
    },
    lost: x.lost,
  };
}
