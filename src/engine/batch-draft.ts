import type { LogRecord, TransSummary } from '../log/event-log.js';
import { PARKED_EVENT, storedStateOf, type LiveTransaction } from './live-transaction.js';
import { fallbackSummaryOf, summaryOf } from './trans-view.js';
import { PayloadTooLarge } from '../errors.js';
import { viewChars } from '../log/packed-view.js';

/**
 * What one batch does to one transaction, kept apart from the partition's state until the batch is
 * durable: a working copy (`live`, a fork of `base`), the records it appends and, when acting on it
 * failed inside dtx, the reason to park it. A failed append just drops the drafts, so nothing of
 * the batch (state, seq, remembered command ids) is left in memory.
 */
export interface BatchDraft {
  /** The state before the batch; undefined when the batch creates the transaction. */
  readonly base: LiveTransaction | undefined;
  live: LiveTransaction;
  records: LogRecord[];
  /** Set when an internal command (branch result, cron) could not be decided. */
  park?: string;
}

export function recordParked(draft: BatchDraft, reason: string, at: number, cmd: string): void {
  const live = draft.live;
  live.seq += 1;
  live.parked = { reason, at };
  live.remember(cmd);
  draft.records.push({ v: 1, gid: live.gid, seq: live.seq, type: PARKED_EVENT, at, data: { reason }, cmd });
}

export type SettledDraft =
  | { readonly ok: true; readonly summary: TransSummary }
  /** The batch's changes to this transaction cannot be rendered: they are dropped. */
  | { readonly ok: false; readonly error: unknown };

/**
 * Renders the projection row of a draft; a rendering error is returned, never thrown. A view
 * longer than `maxViewChars` (the log's bound, EngineSettings) is such an error: PayloadTooLarge.
 * When the draft's events pass a multiple of `stateEvery` (EngineSettings; 0 = never), the row
 * carries the transaction's machine state for the log to keep (StoredState).
 */
export function settleDraft(draft: BatchDraft, at: number, cmd: string, maxViewChars = Infinity, stateEvery = 0): SettledDraft {
  if (draft.park !== undefined) recordParked(draft, draft.park, at, cmd);
  try {
    const summary = summaryOf(draft.live);
    const chars = viewChars(summary.view);
    if (chars <= maxViewChars) {
      const passed = stateEvery > 0 && Math.floor((draft.base?.seq ?? 0) / stateEvery) < Math.floor(draft.live.seq / stateEvery);
      return { ok: true, summary: passed ? { ...summary, state: storedStateOf(draft.live) } : summary };
    }
    return { ok: false, error: new PayloadTooLarge(`transaction ${draft.live.gid} would render a view of ${chars} characters, more than the log takes (${maxViewChars}); its change is refused`) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Replaces a draft whose changes cannot be rendered by its base, parked with `reason`. Its row is
 * rendered from the base (which rendered at its last commit), or minimally if even that fails.
 */
export function parkFromBase(draft: BatchDraft & { base: LiveTransaction }, reason: string, at: number, cmd: string): TransSummary {
  draft.live = draft.base.fork();
  draft.records = [];
  delete draft.park;
  recordParked(draft, reason, at, cmd);
  try {
    return summaryOf(draft.live);
  } catch {
    return fallbackSummaryOf(draft.live, draft.live.parked!);
  }
}
