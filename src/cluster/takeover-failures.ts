import type { Logger } from 'pino';
import { errorKind, RepeatGate, withRecurred } from '../observability/repeat-gate.js';

/** Attempts of one partition's takeover that are warned one by one: new topics answer "not the leader" for a moment. */
export const TAKEOVER_WARNED_ATTEMPTS = 3;
/** After those, at most one error line per this long across all partitions, per kind of failure. */
export const TAKEOVER_FAILURE_LOG_MS = 10_000;

/** The wait before attempt `attempt + 1` of a takeover: 250 ms more each time, at most 5 s. */
export function takeoverRetryDelayMs(attempt: number): number {
  return Math.min(5000, 250 * attempt);
}

/**
 * What a worker logs of takeovers that fail (partition-ownership.ts). A takeover is retried while
 * its partition stays assigned; the first attempts are warnings, since a fresh topic's leader or a
 * broker's restart makes a few fail. One that keeps failing is an error, but a cause shared by
 * every partition (a broker away, a full disk under the replica) fails every attempt of each:
 * those lines pass a RepeatGate, one per window with how many it held back.
 */
export class TakeoverFailures {
  readonly #gate: RepeatGate;

  constructor(
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    this.#gate = new RepeatGate(TAKEOVER_FAILURE_LOG_MS, now);
  }

  /** Attempt `attempt` (from 1) of partition `p`'s takeover failed with `err`; it is retried. */
  failed(err: unknown, p: number, attempt: number): void {
    if (attempt <= TAKEOVER_WARNED_ATTEMPTS) {
      this.logger.warn({ err, partition: p, attempt }, 'partition takeover failed; retrying');
      return;
    }
    const recurred = this.#gate.pass(errorKind(err));
    if (recurred !== undefined) this.logger.error({ err, partition: p, attempt, recurred }, withRecurred('partition takeover failed; retrying', recurred));
  }
}
