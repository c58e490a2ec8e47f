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

/** A fold in progress: the transaction so far, its timeline, and when each branch call was issued. */
interface Replay {
  readonly live: LiveTransaction;
  readonly timeline: TimelineEntry[];
  readonly issued: Map<string, number>;
}

function startReplay(registry: TransTypeRegistry, gid: string, first: LogRecord): Replay {
  const spec = (first.data as { spec?: TransSpec }).spec;
  const def = spec ? registry.get(spec.transType) : undefined;
  if (def === undefined) throw new UnknownTransType(`gid ${gid}: trans type '${spec?.transType ?? '?'}' is not registered; load its module (TransTypes) to replay it`);
  return { live: LiveTransaction.empty(gid, def, 'xstate'), timeline: [], issued: new Map() }; // the exact fold: XState itself
}

/** Applies one event and renders its timeline row. */
function replayOne(st: Replay, r: LogRecord): void {
  const effects = st.live.applyRecord(r);
  const d = r.data as { branchId?: string; op?: string; attempt?: number; message?: string; reason?: string };
  const calls: string[] = [];
  for (const e of effects) {
    if (e.type !== 'callBranch') continue;
    st.issued.set(`${e.params.branchId}/${e.params.op}/${e.params.attempt}`, r.at);
    calls.push(`${e.params.branchId}/${e.params.op}`);
  }
  const started = d.branchId !== undefined ? st.issued.get(`${d.branchId}/${d.op}/${d.attempt}`) : undefined;
  st.timeline.push({
    seq: r.seq,
    at: r.at,
    time: new Date(r.at).toISOString(),
    event: r.type,
    ...(d.branchId !== undefined ? { branch: d.branchId, op: d.op } : {}),
    status: st.live.status,
    ...(started !== undefined ? { durationMs: r.at - started } : {}),
    ...(d.message ? { message: d.message } : d.reason ? { message: d.reason } : {}),
    ...(calls.length ? { calls } : {}),
  });
}

/**
 * Folds a transaction's events through its machine (no effects are performed: replay runs none)
 * and renders what happened, step by step.
 */
export function replayRecords(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[]): Replayed | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  const st = startReplay(registry, gid, first);
  for (const r of records) replayOne(st, r);
  return { live: st.live, timeline: st.timeline };
}

/**
 * `replayRecords` for a server: the fold gives the event loop back every `every` events, so a
 * long history (thousands of events, ~0.3 ms each through XState) never holds other requests up.
 */
export async function replayRecordsYielding(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[], every = 200): Promise<Replayed | undefined> {
  const first = records[0];
  if (first === undefined) return undefined;
  const st = startReplay(registry, gid, first);
  for (let i = 0; i < records.length; i++) {
    replayOne(st, records[i]!);
    if (i % every === every - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { live: st.live, timeline: st.timeline };
}
