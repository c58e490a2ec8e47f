import type { TransTypeRegistry } from '../../machines/index.js';
import type { EventLog } from '../log/event-log.js';
import type { DiffEntry } from './json-diff.js';
import { FastVerifier } from './fast-verify.js';
import { auditTransaction } from './transaction-history.js';

export interface ReplayAllSummary {
  readonly transactions: number;
  readonly events: number;
  readonly verified: number;
  readonly divergent: Array<{ gid: string; diff: DiffEntry[] }>;
  readonly failed: Array<{ gid: string; error: string }>;
  /** transactions folded through XState: every one with `exact`, else those the fast fold could not confirm */
  readonly exactFolds: number;
  readonly ms: number;
  readonly eventsPerSecond: number;
}

export interface ReplayAllOptions {
  /** fold every transaction through XState (no fast fold) */
  readonly exact?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Audits every transaction created since `since`: re-folds and verifies each one. A transaction the
 * fast fold (fast-verify.ts) confirms is verified; any other is audited by `auditTransaction`, the
 * XState fold, which reports its divergence or failure. So the result is the exact audit's.
 */
export async function replayAll(log: EventLog, registry: TransTypeRegistry, since: number, opts: ReplayAllOptions = {}): Promise<ReplayAllSummary> {
  const total = await log.countAll(since);
  const fast = opts.exact ? undefined : new FastVerifier(registry);
  const every = Math.max(500, Math.ceil(total / 20));
  const t0 = performance.now();
  let transactions = 0;
  let events = 0;
  let verified = 0;
  let exactFolds = 0;
  const divergent: ReplayAllSummary['divergent'] = [];
  const failed: ReplayAllSummary['failed'] = [];
  for await (const { gid, records, summary } of log.scanAll(since)) {
    transactions += 1;
    events += records.length;
    if (fast?.verify(records, summary) === true) verified += 1;
    else {
      exactFolds += 1;
      try {
        const h = auditTransaction(registry, gid, records, summary);
        if (h === undefined) failed.push({ gid, error: 'no events for a listed transaction' });
        else if (h.verified) verified += 1;
        else divergent.push({ gid, diff: h.diff });
      } catch (err) {
        failed.push({ gid, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (opts.onProgress && (transactions === total || transactions % every === 0)) opts.onProgress(transactions, total);
  }
  const ms = performance.now() - t0;
  return { transactions, events, verified, divergent, failed, exactFolds, ms, eventsPerSecond: ms > 0 ? Math.round((events * 1000) / ms) : events };
}
