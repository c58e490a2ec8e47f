import type { TransTypeRegistry } from '../../machines/index.js';
import { foldRecords, storedStateOf } from '../engine/live-transaction.js';
import type { EventLog, LogRecord, StoredState } from '../log/event-log.js';
import { jsonDiff, type DiffEntry } from './json-diff.js';

/**
 * Stored states (StoredState): a restart resumes a long transaction from its newest one instead of
 * its first event, so the audit checks that each is what folding the transaction's events 1..seq
 * gives. One that is not would make a restart go on from a state the events never had.
 */
export function storedStateDiff(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[], state: StoredState): DiffEntry[] {
  const at = `$.stored_state(seq ${state.seq})`;
  const head = records.filter((r) => r.seq <= state.seq);
  if (head.length !== state.seq) return [{ path: `${at}.seq`, expected: `events 1..${state.seq}`, actual: `${head.length} of them stored` }];
  try {
    const live = foldRecords(registry, gid, head);
    const folded: unknown = live === undefined ? null : JSON.parse(JSON.stringify(storedStateOf(live)));
    return jsonDiff(folded, state, at); // `state` comes from JSON already; the fold is normalised like it
  } catch (err) {
    return [{ path: at, expected: `the fold of events 1..${state.seq}`, actual: `no fold: ${String(err)}` }];
  }
}

export interface StoredStateAudit {
  readonly checked: number;
  readonly divergent: Array<{ gid: string; diff: DiffEntry[] }>;
}

/**
 * Checks every stored state of `log` against the fold of its transaction's events (a log that keeps
 * none: nothing to check); with `since`, only those of transactions created since then, as `--all`.
 */
export async function auditStoredStates(log: EventLog, registry: TransTypeRegistry, since = 0): Promise<StoredStateAudit> {
  let checked = 0;
  const divergent: Array<{ gid: string; diff: DiffEntry[] }> = [];
  if (log.scanStates === undefined) return { checked, divergent };
  for await (const { gid, state } of log.scanStates()) {
    if (since > 0 && ((await log.getSummary(gid))?.createTime ?? 0) < since) continue;
    checked += 1;
    const diff = storedStateDiff(registry, gid, await log.read(gid), state);
    if (diff.length > 0) divergent.push({ gid, diff });
  }
  return { checked, divergent };
}
