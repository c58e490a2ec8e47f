import type { TransEvent, TransTypeRegistry } from '../../machines/index.js';
import { eventOfRecord } from '../engine/live-transaction.js';
import type { AuditedProjection, EventLog, LogRecord } from '../log/event-log.js';
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
  /** worker processes that folded (parallel-replay.ts); 0: all on the calling thread */
  readonly workers: number;
}

export interface ReplayAllOptions {
  /** fold every transaction through XState (no fast fold) */
  readonly exact?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /** the number of transactions to audit when the caller has counted them already */
  readonly total?: number;
}

/** The verdicts of audited transactions; plain data, so worker processes hand theirs over as is. */
export interface AuditCounts {
  transactions: number;
  events: number;
  verified: number;
  exactFolds: number;
  readonly divergent: Array<{ gid: string; diff: DiffEntry[] }>;
  readonly failed: Array<{ gid: string; error: string }>;
}

export function emptyCounts(): AuditCounts {
  return { transactions: 0, events: 0, verified: 0, divergent: [], failed: [], exactFolds: 0 };
}

/** Adds `part` into `into` (the parallel audit's pages). */
export function mergeCounts(into: AuditCounts, part: AuditCounts): void {
  into.transactions += part.transactions;
  into.events += part.events;
  into.verified += part.verified;
  into.exactFolds += part.exactFolds;
  into.divergent.push(...part.divergent);
  into.failed.push(...part.failed);
}

/**
 * Audits one transaction at a time into counts. One the fast fold (fast-verify.ts) confirms is
 * verified; any other is audited by `auditTransaction`, the XState fold, which reports its
 * divergence or failure. So the result is the exact audit's.
 */
export class TransactionAuditor {
  readonly #fast: FastVerifier | undefined;

  constructor(private readonly registry: TransTypeRegistry, exact: boolean) {
    this.#fast = exact ? undefined : new FastVerifier(registry);
  }

  audit(c: AuditCounts, gid: string, records: readonly LogRecord[], summary: AuditedProjection | undefined): void {
    this.auditEvents(c, gid, records.map(eventOfRecord), summary, () => records);
  }

  /**
   * `audit` of a transaction read as its events (`eventOfRecord` of each record, in order);
   * `records` gives the records for the XState fold, called only when the fast fold does not
   * confirm.
   */
  auditEvents(c: AuditCounts, gid: string, events: readonly TransEvent[], summary: AuditedProjection | undefined, records: () => readonly LogRecord[]): void {
    c.transactions += 1;
    c.events += events.length;
    if (this.#fast?.verify(events, summary) === true) {
      c.verified += 1;
      return;
    }
    c.exactFolds += 1;
    try {
      const h = auditTransaction(this.registry, gid, records(), summary);
      if (h === undefined) c.failed.push({ gid, error: 'no events for a listed transaction' });
      else if (h.verified) c.verified += 1;
      else c.divergent.push({ gid, diff: h.diff });
    } catch (err) {
      c.failed.push({ gid, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** Progress is reported about 20 times over an audit, and at its end. */
export function progressEvery(total: number): number {
  return Math.max(500, Math.ceil(total / 20));
}

export function summaryOfCounts(c: AuditCounts, ms: number, workers = 0): ReplayAllSummary {
  return { ...c, ms, eventsPerSecond: ms > 0 ? Math.round((c.events * 1000) / ms) : c.events, workers };
}

/** Audits every transaction created since `since`, re-folding and verifying each one (TransactionAuditor). */
export async function replayAll(log: EventLog, registry: TransTypeRegistry, since: number, opts: ReplayAllOptions = {}): Promise<ReplayAllSummary> {
  const total = opts.total ?? (await log.countAll(since));
  const auditor = new TransactionAuditor(registry, opts.exact === true);
  const every = progressEvery(total);
  const t0 = performance.now();
  const c = emptyCounts();
  for await (const { gid, records, summary } of log.scanAll(since)) {
    auditor.audit(c, gid, records, summary);
    if (opts.onProgress && (c.transactions === total || c.transactions % every === 0)) opts.onProgress(c.transactions, total);
  }
  return summaryOfCounts(c, performance.now() - t0);
}
