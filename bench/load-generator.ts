/**
 * Closed-loop load generator of bench/main.ts: `concurrency` workers each submit one saga, wait
 * for the answer, and submit the next, over one keep-alive undici Agent, each request going to the
 * next of `origins` (round-robin; one origin for the embedded log, every worker's for Kafka). Every loop is bounded by
 * time (warm-up + measured window, then a drain deadline that aborts what is still in flight) and
 * by a request count.
 *
 * Throughput and submit latency count the responses that *arrived* inside the measured window.
 * Errors count every failed submit of the run (warm-up and drain included): any non-200 answer, a
 * 200 whose body is not dtm's SUCCESS, or a transport error.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';

export interface LoadOptions {
  /** dtx origins, used round-robin per request; read on every request, so it may shrink mid-run. */
  readonly origins: readonly string[];
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Cap on submits of the run, whatever the time. */
  readonly maxRequests: number;
  /** Submit body for a gid. */
  readonly body: (gid: string) => string;
  readonly gidPrefix: string;
  /** Fraction of gids whose completion is checked with `query`. */
  readonly sampleRate: number;
  /** Poll `query` for sampled gids right after their submit answered (completion latency). */
  readonly pollCompletion: boolean;
  readonly requestTimeoutMs: number;
  /** After the window, in-flight requests get this long before they are aborted. */
  readonly drainMs: number;
  /** Stops the run early (e.g. dtx exited). */
  readonly alive: () => boolean;
  /** When given: gid -> origin of every submit in flight (set when sent, deleted when answered). */
  readonly inflight?: Map<string, string>;
}

export interface Sample {
  readonly gid: string;
  /** performance.now() when the submit was sent. */
  readonly start: number;
  /** The submit was sent inside the measured window (warm-up samples are verified, not timed). */
  readonly inWindow: boolean;
  /** ms from submit start to the arrival of the first `query` answer showing `succeed`. */
  completionMs?: number;
  /** Last status `query` showed while polling (or the failure). */
  lastSeen?: string;
  /** `query` calls made while polling. */
  polls?: number;
  /** ms from submit start to the submit answer. */
  submitMs?: number;
}

export interface LoadResult {
  readonly measuredSeconds: number;
  readonly completed: number;
  /** Sorted submit latencies (ms) of the responses that arrived in the window. */
  readonly submitMs: number[];
  readonly sent: number;
  readonly errors: number;
  readonly errorKinds: Map<string, number>;
  /** Successful submits per second of the window; a 0 means a stall. */
  readonly perSecond: number[];
  readonly samples: Sample[];
  /** Requests aborted at the drain deadline. */
  readonly aborted: number;
}

const POLL_EVERY_MS = 5;
const POLL_MAX = 400;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ connections: o.concurrency + 16, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  const abort = new AbortController();
  // Every in-flight request listens on the one abort signal (undici may hold a few more briefly).
  setMaxListeners(0, abort.signal);
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.measureMs;
  const submitMs: number[] = [];
  const perSecond = new Array<number>(Math.ceil(o.measureMs / 1000)).fill(0);
  const errorKinds = new Map<string, number>();
  const samples: Sample[] = [];
  const pollers = new Set<Promise<void>>();
  let sent = 0;
  let turn = 0;
  const pick = (): string => o.origins[turn++ % o.origins.length]!;
  let errors = 0;
  let aborted = 0;

  const call = async (origin: string, method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; text: string }> => {
    const res = await agent.request({
      origin,
      path,
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
      signal: abort.signal,
      headersTimeout: o.requestTimeoutMs,
      bodyTimeout: o.requestTimeoutMs,
    });
    return { status: res.statusCode, text: await res.body.text() };
  };

  const poll = async (s: Sample): Promise<void> => {
    for (let i = 0; i < POLL_MAX && !abort.signal.aborted; i++) {
      s.polls = i + 1;
      try {
        const { status, text } = await call(pick(), 'GET', `/api/dtmsvr/query?gid=${encodeURIComponent(s.gid)}`);
        const seen = status === 200 ? (JSON.parse(text) as { transaction?: { status?: string } }).transaction?.status : undefined;
        s.lastSeen = seen ?? `HTTP ${status}`;
        if (seen === 'succeed') {
          s.completionMs = performance.now() - s.start;
          return;
        }
      } catch (err) {
        s.lastSeen = describe(err);
      }
      await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
    }
  };

  const worker = async (id: number): Promise<void> => {
    for (let n = 0; sent < o.maxRequests && o.alive() && !abort.signal.aborted; n++) {
      const start = performance.now();
      if (start >= windowEnd) return;
      sent++;
      const gid = `${o.gidPrefix}-${id}-${n}`;
      const sample: Sample | undefined = Math.random() < o.sampleRate ? { gid, start, inWindow: start >= windowStart } : undefined;
      if (sample) samples.push(sample);
      let failure: string | undefined;
      const origin = pick();
      o.inflight?.set(gid, origin);
      try {
        const { status, text } = await call(origin, 'POST', '/api/dtmsvr/submit', o.body(gid));
        if (status !== 200 || !text.includes('"SUCCESS"')) failure = `HTTP ${status} ${text.slice(0, 300)}`;
      } catch (err) {
        failure = describe(err);
        if (abort.signal.aborted) aborted++;
        // A refused or reset connection fails in microseconds: back off instead of spinning.
        else await new Promise((r) => setTimeout(r, 10));
      }
      const end = performance.now();
      o.inflight?.delete(gid);
      if (sample) sample.submitMs = end - start;
      if (failure !== undefined) {
        errors++;
        errorKinds.set(failure, (errorKinds.get(failure) ?? 0) + 1);
      } else if (end >= windowStart && end < windowEnd) {
        submitMs.push(end - start);
        const slot = Math.floor((end - windowStart) / 1000);
        perSecond[slot] = (perSecond[slot] ?? 0) + 1;
      }
      if (sample && o.pollCompletion) {
        const p = poll(sample).finally(() => pollers.delete(p));
        pollers.add(p);
      }
    }
  };

  const workers = Array.from({ length: o.concurrency }, (_, i) => worker(i));
  // Hard stop: whatever is still in flight this long after the window is aborted.
  const deadline = setTimeout(() => abort.abort(new Error('drain deadline')), Math.max(0, windowEnd - performance.now()) + o.drainMs);
  await Promise.all(workers);
  await Promise.all([...pollers]);
  clearTimeout(deadline);
  await agent.close().catch(() => undefined);
  submitMs.sort((a, b) => a - b);
  const measuredSeconds = Math.min(o.measureMs, Math.max(0, performance.now() - windowStart)) / 1000;
  return { measuredSeconds, completed: submitMs.length, submitMs, sent, errors, errorKinds, perSecond, samples, aborted };
}

/** Status of one gid by `query` (for the post-run verification). */
export async function queryStatus(origin: string, gid: string): Promise<string> {
  try {
    const res = await fetch(`${origin}/api/dtmsvr/query?gid=${encodeURIComponent(gid)}`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}`;
    return (JSON.parse(text) as { transaction?: { status?: string } | null }).transaction?.status ?? 'not found';
  } catch (err) {
    return describe(err);
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((sorted.length * p) / 100) - 1))];
}

function describe(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  return `transport ${e.code ?? e.cause?.code ?? e.name ?? 'error'}: ${e.message ?? e.cause?.message ?? String(err)}`;
}
