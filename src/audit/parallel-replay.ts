/**
 * `dtx replay --all` in worker processes (replay-worker.ts). The transactions are split into
 * ranges of PAGE_IDS ids, handed to the workers one at a time as each finishes its last; every
 * worker reads its ranges through its own read-only connection and audits them as `replayAll`
 * does. The verdicts are merged in id order, so the summary equals the one-thread audit's (same
 * counts, same divergences and failures in the same order); only `ms` differs.
 *
 * Processes, not worker threads: a worker thread shares the process's V8 flags, and the `dtx`
 * binary starts node with serve's small young generation (heap-policy.ts), which the threads'
 * `resourceLimits` cannot raise. The audit allocates a page's parsed events and folded contexts
 * at a high rate; with AUDIT_NODE_FLAGS' larger young generation it spends a fraction of the CPU
 * on scavenges (docs/benchmarks.md, "Replay").
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from '../config/index.js';
import { AUDIT_NODE_FLAGS } from '../heap-policy.js';
import { SqliteAuditPages } from '../log/sqlite/sqlite-audit-pages.js';
import { emptyCounts, mergeCounts, progressEvery, summaryOfCounts, type AuditCounts, type ReplayAllOptions, type ReplayAllSummary } from './replay-all.js';
import type { ReplayWorkerInit, ReplayWorkerReply, ReplayWorkerRequest } from './replay-worker.js';

/** Transaction ids per range: enough work to hide a message round trip, small enough to balance. */
const PAGE_IDS = 1000;

/** Below this many transactions one thread is faster than starting workers (each loads the machines). */
export const PARALLEL_MIN_TRANSACTIONS = 5000;

type Range = { readonly after: number; readonly upTo: number };

/** Audits the transactions of `file` created since `since` in `threads` worker processes. */
export async function replayAllParallel(
  file: string,
  config: ResolvedConfig,
  since: number,
  total: number,
  opts: ReplayAllOptions & { readonly threads: number },
): Promise<ReplayAllSummary> {
  const t0 = performance.now();
  let ranges: readonly Range[] = [];
  const results: AuditCounts[] = [];
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
  const workers: ChildProcess[] = [];
  const run = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = fork(fileURLToPath(workerEntry()), [], { execArgv: [...AUDIT_NODE_FLAGS], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      workers.push(worker);
      let current = -1;
      let closing = false;
      const send = (m: ReplayWorkerRequest) => worker.send(m);
      worker.on('message', (m: ReplayWorkerReply) => {
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
      worker.on('exit', (code, signal) => (closing ? resolve() : reject(new Error(`replay worker stopped (${signal ?? `exit code ${code}`})`))));
      send({ init });
    });
  try {
    // the workers start (a process each, loading the machines) while this thread lists the ranges:
    // no message of theirs is handled before rangesOf returns
    const running = Promise.all(Array.from({ length: Math.min(opts.threads, Math.max(1, Math.ceil(total / PAGE_IDS))) }, run));
    try {
      ranges = rangesOf(file, since);
    } catch (err) {
      running.catch(() => {}); // the workers are killed below; their rejections are this error's
      throw err;
    }
    await running;
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  }
  const c = emptyCounts();
  for (const r of results) if (r !== undefined) mergeCounts(c, r);
  return summaryOfCounts(c, performance.now() - t0, workers.length);
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
