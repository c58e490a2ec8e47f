import type { TransTypeRegistry } from '../../machines/index.js';
import type { LogRecord } from '../log/event-log.js';
import { LiveTransaction, UnknownTransType } from '../engine/live-transaction.js';
import type { TransSpec } from '../../machines/index.js';

/** One row of a transaction's audit timeline. */
export interface TimelineEntry {
  readonly seq: number;
  readonly at: number;
  readonly time: string;
  readonly event: string;
  readonly branch?: string;
  readonly op?: string;
  /** transaction status after this event */
  readonly status: string;
  /** for branch results: ms from the call being issued to its answer being recorded */
  readonly durationMs?: number;
  readonly message?: string;
  /** branch calls this event caused (branch/op) */
  readonly calls?: string[];
}

export interface Replayed {
  readonly live: LiveTransaction;
  readonly timeline: TimelineEntry[];
}

/**
 * Folds a transaction's events through its machine (no effects are performed: replay runs none)
 * and renders what happened, step by step.
 */
export function replayRecords(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[]): Replayed | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  const spec = (first.data as { spec?: TransSpec }).spec;
  const def = spec ? registry.get(spec.transType) : undefined;
  if (def === undefined) throw new UnknownTransType(`gid ${gid}: trans type '${spec?.transType ?? '?'}' is not registered; load its module (TransTypes) to replay it`);
  const live = LiveTransaction.empty(gid, def, 'xstate'); // the exact fold: XState itself
  const issued = new Map<string, number>();
  const timeline: TimelineEntry[] = [];
  for (const r of records) {
    const effects = live.applyRecord(r);
    const d = r.data as { branchId?: string; op?: string; attempt?: number; message?: string; reason?: string };
    const calls: string[] = [];
    for (const e of effects) {
      if (e.type !== 'callBranch') continue;
      issued.set(`${e.params.branchId}/${e.params.op}/${e.params.attempt}`, r.at);
      calls.push(`${e.params.branchId}/${e.params.op}`);
    }
    const started = d.branchId !== undefined ? issued.get(`${d.branchId}/${d.op}/${d.attempt}`) : undefined;
    timeline.push({
      seq: r.seq,
      at: r.at,
      time: new Date(r.at).toISOString(),
      event: r.type,
      ...(d.branchId !== undefined ? { branch: d.branchId, op: d.op } : {}),
      status: live.status,
      ...(started !== undefined ? { durationMs: r.at - started } : {}),
      ...(d.message ? { message: d.message } : d.reason ? { message: d.reason } : {}),
      ...(calls.length ? { calls } : {}),
    });
  }
  return { live, timeline };
}
