import { dueAtOf, type Effect, type TransStatus } from '../../machines/index.js';
import type { Command } from './command.js';
import type { LiveTransaction } from './live-transaction.js';

/** What a partition processor asks of the engine around it (effects, timers, observers). */
export interface ProcessorHooks {
  /** Performs the effects of durable events (invoker, webhook). */
  perform(live: LiveTransaction, effects: readonly Effect[]): void;
  /** Sets or clears the due time of a transaction. */
  schedule(gid: string, at: number | undefined): void;
  now(): number;
  /** Runs `fn` after `ms` on the engine's clock (the retry of an internal command whose append failed). */
  later(fn: () => void, ms: number): void;
  /** A transaction reached succeed/failed in this batch. */
  finished(live: LiveTransaction): void;
  /** A transaction's end is durable: calls of it that have not started must not start. */
  cancel(gid: string): void;
  /** Acting on a transaction failed inside dtx; it is parked with `reason` (alert, metrics). */
  parked(live: LiveTransaction, reason: string): void;
  /** The log refused this partition's writes: another worker owns it now (fenced), or a commit is in doubt. */
  lost(partition: number, fenced: boolean): void;
  /** A batch's append failed (`records` events): its commands get an error or are retried; logged a few times, counted always. */
  appendFailed(partition: number, err: unknown, records: number): void;
  /** A batch is durable and applied: `touched` changed in it (snapshots are taken from here). */
  committed(partition: number, touched: readonly LiveTransaction[], records: number): void;
}

/** Commands born inside dtx (branch results, cron passes): acting on a transaction, not a client's call. */
export function isInternal(cmd: Command): boolean {
  return cmd.kind === 'branchResult' || cmd.kind === 'cronFired';
}

/**
 * When the timer wheel must fire for `live`: never while parked; a type hook that throws (a bug
 * in a custom type) schedules nothing rather than failing the batch after its commit.
 */
export function dueOf(live: LiveTransaction): number | undefined {
  if (live.parked !== undefined) return undefined;
  try {
    const at = dueAtOf(live.def, live.context, live.status as TransStatus);
    return at !== undefined && Number.isFinite(at) ? at : undefined;
  } catch {
    return undefined;
  }
}
