import type { TransTypeRegistry } from '../../machines/index.js';
import type { EventLog } from '../log/event-log.js';
import type { DiffEntry } from './json-diff.js';
import { auditTransaction } from './transaction-history.js';

export interface ReplayAllSummary {
  readonly transactions: number;
  readonly events: number;
  readonly verified: number;
  readonly divergent: Array<{ gid: string; diff: DiffEntry[] }>;
  readonly failed: Array<{ gid: string; error: string }>;
  readonly ms: number;
  readonly eventsPerSecond: number;
}

/** Audits every transaction created since `since`: re-folds and verifies each one. */
export async function replayAll(log: EventLog, registry: TransTypeRegistry, since: number, onProgress?: (done: number, total: number) => void): Promise<ReplayAllSummary> {
  const total = await log.countAll(since);
  const t0 = performance.now();
  let transactions = 0;
  let events = 0;
  let verified = 0;
  const divergent: ReplayAllSummary['divergent'] = [];
  const failed: ReplayAllSummary['failed'] = [];
  for await (const { gid, records, summary } of log.scanAll(since)) {
    transactions += 1;
    events += records.length;
    try {
      const h = auditTransaction(registry, gid, records, summary);
      if (h === undefined) failed.push({ gid, error: 'no events for a listed transaction' });
      else if (h.verified) verified += 1;
      else divergent.push({ gid, diff: h.diff });
    } catch (err) {
      failed.push({ gid, error: err instanceof Error ? err.message : String(err) });
    }
    if (onProgress && (transactions === total || transactions % Math.max(500, Math.ceil(total / 20)) === 0)) onProgress(transactions, total);
  }
  const ms = performance.now() - t0;
  return { transactions, events, verified, divergent, failed, ms, eventsPerSecond: ms > 0 ? Math.round((events * 1000) / ms) : events };
}
