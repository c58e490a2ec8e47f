/**
 * `dtx replay --all` on worker threads (replay-worker.ts). The transactions are split into ranges
 * of PAGE_IDS ids, handed to the threads one at a time as each finishes its last; every thread
 * reads its ranges through its own read-only connection and audits them as `replayAll` does. The
 * verdicts are merged in id order, so the summary equals the one-thread audit's (same counts,
 * same divergences and failures in the same order); only `ms` differs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/index.js';
import { SqliteAuditPages } from '../log/sqlite/sqlite-audit-pages.js';
import { emptyCounts, mergeCounts, progressEvery, summaryOfCounts, type AuditCounts, type ReplayAllOptions, type ReplayAllSummary } from './replay-all.js';
import type { ReplayWorkerInit, ReplayWorkerRequest } from './replay-worker.js';

/** Transaction ids per range: enough work to hide a message round trip, small enough to balance. */
const PAGE_IDS = 1000;

/** Below this many transactions one thread is faster than starting several (each loads the machines). */
export const PARALLEL_MIN_TRANSACTIONS = 5000;

type Range = { readonly after: number; readonly upTo: number };

/** Audits the transactions of `file` created since `since` on `threads` worker threads. */
export async function replayAllParallel(
  file: string,
  config: ResolvedConfig,
  since: number,
  total: number,
  opts: ReplayAllOptions & { readonly threads: number },
): Promise<ReplayAllSummary> {
  const t0 = performance.now();
  const ranges = rangesOf(file, since);
  if (ranges.length === 0) return summaryOfCounts(emptyCounts(), performance.now() - t0);
  const results: AuditCounts[] = new Array<AuditCounts>(ranges.length);
  const every = progressEvery(total);
  let next = 0;
  let done = 0;
  let reported = 0;
  const progress = (n: number) => {
    done += n;
    if (opts.onProgress && (done === total || Math.floor(done / every) > Math.floor(reported / every))) opts.onProgress(done, total);
    reported = done;
  };
  const init: ReplayWorkerInit = { file, config, since, exact: opts.exact === true };
  const workers: Worker[] = [];
  const run = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(workerEntry(), { workerData: init });
      workers.push(worker);
      let current = -1;
      let closing = false;
      const send = (m: ReplayWorkerRequest) => worker.postMessage(m);
      worker.on('message', (m: { ready: true } | { counts: AuditCounts } | { error: string }) => {
        if ('error' in m) return reject(new Error(`replay worker: ${m.error}`));
        if ('counts' in m) {
          results[current] = m.counts;
          progress(m.counts.transactions);
        }
        if (next < ranges.length) {
          current = next++;
          send(ranges[current]!);
        } else {
          closing = true;
          send({ close: true });
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (closing ? resolve() : reject(new Error(`replay worker stopped (exit code ${code})`))));
    });
  try {
    await Promise.all(Array.from({ length: Math.min(opts.threads, ranges.length) }, run));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const c = emptyCounts();
  for (const r of results) if (r !== undefined) mergeCounts(c, r);
  return summaryOfCounts(c, performance.now() - t0);
}

function rangesOf(file: string, since: number): Range[] {
  const pages = new SqliteAuditPages(file);
  try {
    const span = pages.idRange(since);
    const ranges: Range[] = [];
    if (span === undefined) return ranges;
    for (let after = span.lo - 1; after < span.hi; after += PAGE_IDS) ranges.push({ after, upTo: Math.min(after + PAGE_IDS, span.hi) });
    return ranges;
  } finally {
    pages.close();
  }
}

/** The compiled worker next to this file; from TypeScript sources (vitest) the build's copy. */
function workerEntry(): URL {
  const here = new URL('./replay-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/src/audit/replay-worker.js', import.meta.url);
}
