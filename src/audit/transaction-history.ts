import type { TransTypeRegistry } from '../../machines/index.js';
import type { AuditedProjection, EventLog, LogRecord } from '../log/event-log.js';
import { storedView } from '../engine/trans-view.js';
import { dtmViewText } from '../log/packed-view.js';
import { jsonDiff, type DiffEntry } from './json-diff.js';
import { replayRecords, replayRecordsYielding, type Replayed, type TimelineEntry } from './timeline.js';
import { PayloadTooLarge } from '../errors.js';
import { storedStateDiff } from './stored-state-audit.js';

/** The audit of one transaction: its events, what they mean, and whether they prove its state. */
export interface TransactionHistory {
  readonly gid: string;
  readonly trans_type: string;
  /** status dtx reports (projection) */
  readonly status: string;
  /** status the fold of the events gives */
  readonly replayed_status: string;
  readonly verified: boolean;
  readonly diff: DiffEntry[];
  readonly timeline: TimelineEntry[];
  readonly events: LogRecord[];
}

/** Re-folds the events and compares the result with the state dtx reports for the transaction. */
export function auditTransaction(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[], summary: AuditedProjection | undefined): TransactionHistory | undefined {
  const replayed = replayRecords(registry, gid, records);
  return replayed === undefined ? undefined : verdictOf(gid, replayed, records, summary);
}

function verdictOf(gid: string, replayed: Replayed, records: readonly LogRecord[], summary: AuditedProjection | undefined): TransactionHistory {
  const { live, timeline } = replayed;
  const replayedView = storedView(live.context, live.status, live.parked);
  // identical text is the common case: only a mismatch pays for the structural diff
  const diff = summary !== undefined && summary.view === replayedView ? [] : jsonDiff(JSON.parse(dtmViewText(replayedView)), summary === undefined ? null : JSON.parse(dtmViewText(summary.view)));
  if (summary !== undefined && summary.status !== live.status) diff.unshift({ path: '$.status (projection column)', expected: live.status, actual: summary.status });
  return {
    gid,
    trans_type: live.context.transType,
    status: summary?.status ?? '',
    replayed_status: live.status,
    verified: diff.length === 0,
    diff,
    timeline,
    events: [...records],
  };
}

/**
 * The events the server's history route folds for one answer (`/api/dtx/history`, the admin UI).
 * The fold is XState's (the audit's point): about 0.2-0.4 ms an event on a busy 2-core machine. It
 * gives the event loop back as it goes (`replayRecordsYielding`), but a client can grow one
 * transaction's events without end (`resetNextCronTime`), and each answer holds them all: past this
 * bound the route answers 413 instead. `dtx replay <gid>` on the log's data folds any length.
 */
export const HISTORY_MAX_EVENTS = 50_000;

/**
 * The audit of `gid` (undefined when it has no events), folded without holding the event loop up;
 * its stored state, if the log keeps one, is checked too. Past `maxEvents` events: PayloadTooLarge, nothing folded.
 */
export async function transactionHistory(log: EventLog, registry: TransTypeRegistry, gid: string, maxEvents = Infinity): Promise<TransactionHistory | undefined> {
  // counted from the stored state and the events after it: a long history is refused unread
  const [tail, summary] = await Promise.all([log.readTail(gid), log.getSummary(gid)]);
  const count = (tail.state?.seq ?? 0) + tail.records.length;
  if (count > maxEvents) {
    throw new PayloadTooLarge(`the history of ${gid} has ${count} events, more than the ${maxEvents} the server folds for one answer: run \`dtx replay <gid>\` on the log's data`);
  }
  const records = tail.state === undefined ? tail.records : await log.read(gid);
  const replayed = await replayRecordsYielding(registry, gid, records);
  if (replayed === undefined) return undefined;
  const h = verdictOf(gid, replayed, records, summary);
  const wrongState = tail.state === undefined ? [] : storedStateDiff(registry, gid, records, tail.state);
  return wrongState.length === 0 ? h : { ...h, verified: false, diff: [...h.diff, ...wrongState] };
}
