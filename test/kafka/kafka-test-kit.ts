import { expect } from 'vitest';
import type { DtxProcess } from '../support/dtx-process.js';
import { query, waitFor } from '../support/dtm-client.js';
import type { TopicRecord } from '../support/kafka-workers.js';

export interface SubmitOutcome {
  /** gids no worker accepted after all attempts, with the last answer */
  readonly rejected: string[];
  /** accepted submissions per worker, in `workers()` order at the start */
  readonly throughEach: number[];
}

/**
 * Submits every saga once (concurrency 40), round robin over the live workers. A refused
 * connection (a killed worker) or a retryable 503 is retried on the next worker: a repeated submit
 * of the same gid and body is idempotent in dtm and dtx. `onAccepted(n)` runs after the n-th success.
 */
export async function submitAll(
  gids: readonly string[],
  body: (gid: string) => unknown,
  workers: () => DtxProcess[],
  onAccepted: (n: number) => Promise<void> | void = () => undefined,
): Promise<SubmitOutcome> {
  const initial = workers();
  const through = initial.map(() => 0);
  const rejected: string[] = [];
  let next = 0;
  let accepted = 0;
  let turn = 0;
  const one = async (gid: string): Promise<void> => {
    let last = '';
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const live = workers();
      const w = live[turn++ % live.length]!;
      try {
        const res = await fetch(`${w.api}/submit`, { method: 'POST', body: JSON.stringify(body(gid)) });
        last = `${res.status} ${await res.text()}`;
        // A retry after a lost answer may find the saga already past `prepared`: dtm answers 409
        // "current status ..., cannot sumbmit"; the first attempt was accepted, so it counts.
        const acceptedBefore = attempt > 0 && res.status === 409 && /current status '(submitted|succeed)'/.test(last);
        if (res.status === 200 || acceptedBefore) {
          through[initial.indexOf(w)]! += 1;
          accepted += 1;
          await onAccepted(accepted);
          return;
        }
        if (res.status !== 503) break;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 100)); // back off before the retry (not synchronisation)
    }
    rejected.push(`${gid}: ${last}`);
  };
  await Promise.all(
    Array.from({ length: 40 }, async () => {
      while (next < gids.length) await one(gids[next++]!);
    }),
  );
  return { rejected, throughEach: through };
}

export interface TopicEvent {
  readonly seq: number;
  readonly type: string;
  readonly at: number;
  readonly data: Record<string, unknown>;
  readonly writer: string;
  readonly timestamp: number;
}

/** The events topic's event records grouped by gid, in log order (summary-only records skipped). */
export function eventsByGid(records: readonly TopicRecord[]): Map<string, TopicEvent[]> {
  const out = new Map<string, TopicEvent[]>();
  for (const r of records) {
    if (r.value === null) continue;
    const v = JSON.parse(r.value) as { gid: string; seq: number; type: string; at: number; data: Record<string, unknown> };
    const list = out.get(v.gid) ?? [];
    list.push({ seq: v.seq, type: v.type, at: v.at, data: v.data, writer: r.headers['dtx-writer'] ?? '', timestamp: r.timestamp });
    out.set(v.gid, list);
  }
  return out;
}

/** Every gid has events seq 1..n (n >= `min`) in the topic, without a gap or a duplicate. */
export function expectContiguous(byGid: ReadonlyMap<string, readonly TopicEvent[]>, gids: readonly string[], min = 1): void {
  for (const g of gids) {
    const seqs = (byGid.get(g) ?? []).map((e) => e.seq);
    expect(seqs, g).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length, g).toBeGreaterThanOrEqual(min);
  }
}

/**
 * Polls `query` (round robin over `workers`) until every gid has `status`; finished gids are not
 * asked again. On a timeout the error lists the gids still pending with what query showed.
 */
export async function waitAllStatus(workers: readonly DtxProcess[], gids: readonly string[], status: string, timeoutMs: number): Promise<void> {
  let pending = [...gids];
  await waitFor(
    async () => {
      const states = await Promise.all(pending.map(async (g, i) => [g, (await query(workers[i % workers.length]!.api, g))] as const));
      const left = states.filter(([, q]) => q.transaction?.status !== status);
      pending = left.map(([g]) => g);
      const branches = (q: (typeof states)[number][1]): string => (q.branches ?? []).map((b) => `${b.branch_id}/${b.op}=${b.status}`).join(',');
      return left.slice(0, 20).map(([g, q]) => `${g}: ${q.transaction?.status ?? 'not found'} next_cron_time=${String(q.transaction?.next_cron_time)} [${branches(q)}]`).concat(left.length > 20 ? [`… ${left.length - 20} more`] : []);
    },
    (left) => left.length === 0,
    timeoutMs,
    `every transaction to be ${status}`,
  );
}
