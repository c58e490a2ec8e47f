import type { TransTypeRegistry } from '../../machines/index.js';
import type { AuditedProjection, EventLog, LogRecord } from '../log/event-log.js';
import { renderView } from '../engine/trans-view.js';
import { jsonDiff, type DiffEntry } from './json-diff.js';
import { replayRecords, type TimelineEntry } from './timeline.js';

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
  if (replayed === undefined) return undefined;
  const { live, timeline } = replayed;
  const replayedView = renderView(live.context, live.status, live.parked);
  // identical text is the common case: only a mismatch pays for the structural diff
  const diff = summary !== undefined && summary.view === replayedView ? [] : jsonDiff(JSON.parse(replayedView), summary === undefined ? null : JSON.parse(summary.view));
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

export async function transactionHistory(log: EventLog, registry: TransTypeRegistry, gid: string): Promise<TransactionHistory | undefined> {
  const [records, summary] = await Promise.all([log.read(gid), log.getSummary(gid)]);
  return auditTransaction(registry, gid, records, summary);
}
