/**
 * Submit latency as the server measured it: the `dtm_server_response_duration` histogram that dtm
 * and dtx both export on `/api/metrics` (labels `type`, `api`; Prometheus' default buckets, 5 ms the
 * first), read at the start and the end of the measured window. The load generator's figures
 * include its own event loop's lateness (reported beside them); these do not, so the two side by
 * side show what the server adds and what the client does. Only as fine as the buckets: the share
 * of submits over 5 ms and over 10 ms, which says whether the p99 is under either.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePrometheusText, sumBy } from '../src/observability/prometheus-text.js';

/** Cumulative bucket counts by upper bound (`+Inf` as Infinity), summed over every `type` label. */
type Buckets = ReadonlyMap<number, number>;

/** The submit histogram of `text` (Prometheus exposition), or undefined when it has none. */
function submitBuckets(text: string): Buckets | undefined {
  const byLe = sumBy(parsePrometheusText(text), 'dtm_server_response_duration_bucket', 'le', { api: 'submit' });
  const out = new Map<number, number>();
  for (const [le, count] of byLe) out.set(le === '+Inf' ? Infinity : Number(le), count);
  return out.size > 0 ? out : undefined;
}

/** The histogram now, or undefined when the server has none or cannot be read within 2 s. */
async function scrapeSubmitBuckets(origin: string): Promise<Buckets | undefined> {
  try {
    const res = await fetch(`${origin}/api/metrics`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? submitBuckets(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the histogram of every origin at `startMs` and `endMs` after now (the window's edges) and
 * describes the submits answered in between; undefined when a read failed.
 */
export async function windowNote(origins: readonly string[], startMs: number, endMs: number): Promise<string | undefined> {
  const read = () => Promise.all(origins.map(scrapeSubmitBuckets));
  await sleep(startMs);
  const before = await read();
  await sleep(Math.max(0, endMs - startMs));
  const after = await read();
  let total = 0;
  let within5 = 0;
  let within10 = 0;
  for (const [i, a] of after.entries()) {
    const b = before[i];
    if (a === undefined || b === undefined) return undefined;
    const diff = (le: number): number => (a.get(le) ?? 0) - (b.get(le) ?? 0);
    total += diff(Infinity);
    within5 += diff(0.005);
    within10 += diff(0.01);
  }
  if (total <= 0) return undefined;
  const over = (within: number): string => `${((100 * (total - within)) / total).toFixed(2)}%`;
  return `server-side submit latency (dtm_server_response_duration, the window): ${total} submits, ${over(within5)} over 5 ms, ${over(within10)} over 10 ms (p99 under 5 ms needs under 1%)`;
}
