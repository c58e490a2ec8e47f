/**
 * Load generator of bench/main.ts, over one keep-alive client (bench-http.ts), each request going
 * to the next of `origins` (round-robin; one origin for the embedded log, every worker's for Kafka).
 * Closed loop (default): `concurrency` workers each submit one saga, wait for the answer, and
 * submit the next. Open loop (`rate`): submits are scheduled at a fixed rate whatever the answers,
 * at most `concurrency` in flight (a submit due beyond that is not sent and counts as an error),
 * and latency runs from the *scheduled* send time, so a stalled server shows in the percentiles
 * (no coordinated omission). Every loop is bounded by time (warm-up + measured window, then a
 * drain deadline that aborts what is still in flight) and by a request count.
 *
 * Throughput and submit latency count the responses that *arrived* inside the measured window.
 * Errors count every failed submit of the run (warm-up and drain included): any non-200 answer, a
 * 200 whose body is not dtm's SUCCESS, or a transport error.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { BenchHttp } from './bench-http.js';

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
  /** Open loop: submits per second, scheduled from the start; `concurrency` caps those in flight. */
  readonly rate?: number;
  /** Called after every successful submit (warm-up and drain included), e.g. for RSS every 10k. */
  readonly onSuccess?: () => void;
  /**
   * Submits over another ingress (gRPC) instead of POST /api/dtmsvr/submit, round-robin over its
   * own targets; `send` resolves undefined on success, else the failure. Queries stay on HTTP.
   */
  readonly submitVia?: {
    readonly targets: () => readonly string[];
    readonly send: (target: string, gid: string, signal: AbortSignal) => Promise<string | undefined>;
  };
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
  /**
   * Open loop: for the answers in `submitMs` (which runs from when each was due), sorted, how late the
   * generator sent them (timers on a 1-ms grid, cores shared) and their latency from that send.
   */
  readonly openLoop?: { readonly lateMs: number[]; readonly fromSendMs: number[] };
}

const POLL_EVERY_MS = 5;
const POLL_MAX = 400;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const http = new BenchHttp(o.concurrency + 16, o.requestTimeoutMs);
  const abort = new AbortController();
  // Every in-flight gRPC submit listens on the one abort signal.
  setMaxListeners(0, abort.signal);
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.measureMs;
  const submitMs: number[] = [];
  const lateMs: number[] = [];
  const fromSendMs: number[] = [];
  const perSecond = new Array<number>(Math.ceil(o.measureMs / 1000)).fill(0);
  const errorKinds = new Map<string, number>();
  const samples: Sample[] = [];
  const pollers = new Set<Promise<void>>();
  let sent = 0;
  let turn = 0;
  let viaTurn = 0;
  const pick = (): string => o.origins[turn++ % o.origins.length]!;
  let errors = 0;
  let aborted = 0;

  const call = (origin: string, method: 'GET' | 'POST', path: string, body?: string) => http.call(origin, method, path, body);

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

  const fail = (failure: string): void => {
    errors++;
    errorKinds.set(failure, (errorKinds.get(failure) ?? 0) + 1);
  };

  /** One submit sent (or due, open loop) at `start`, and sent at `sentAt`. */
  const submit = async (gid: string, start: number, sentAt = start): Promise<void> => {
    const sample: Sample | undefined = Math.random() < o.sampleRate ? { gid, start, inWindow: start >= windowStart } : undefined;
    if (sample) samples.push(sample);
    let failure: string | undefined;
    const origin = pick();
    o.inflight?.set(gid, origin);
    try {
      if (o.submitVia !== undefined) {
        const targets = o.submitVia.targets();
        failure = await o.submitVia.send(targets[viaTurn++ % targets.length]!, gid, abort.signal);
        if (failure !== undefined && abort.signal.aborted) aborted++;
      } else {
        const { status, text } = await call(origin, 'POST', '/api/dtmsvr/submit', o.body(gid));
        if (status !== 200 || !text.includes('"SUCCESS"')) failure = `HTTP ${status} ${text.slice(0, 300)}`;
      }
    } catch (err) {
      failure = describe(err);
      if (abort.signal.aborted) aborted++;
      // A refused or reset connection fails in microseconds: back off instead of spinning.
      else await new Promise((r) => setTimeout(r, 10));
    }
    const end = performance.now();
    o.inflight?.delete(gid);
    if (sample) sample.submitMs = end - start;
    if (failure !== undefined) fail(failure);
    else {
      o.onSuccess?.();
      if (end >= windowStart && end < windowEnd) {
        submitMs.push(end - start);
        if (o.rate !== undefined) {
          lateMs.push(sentAt - start);
          fromSendMs.push(end - sentAt);
        }
        const slot = Math.floor((end - windowStart) / 1000);
        perSecond[slot] = (perSecond[slot] ?? 0) + 1;
      }
    }
    if (sample && o.pollCompletion) {
      const p = poll(sample).finally(() => pollers.delete(p));
      pollers.add(p);
    }
  };

  const worker = async (id: number): Promise<void> => {
    for (let n = 0; sent < o.maxRequests && o.alive() && !abort.signal.aborted; n++) {
      const start = performance.now();
      if (start >= windowEnd) return;
      sent++;
      await submit(`${o.gidPrefix}-${id}-${n}`, start);
    }
  };

  /** Open loop: submit i is due at t0 + i / rate; timers fire late by up to ~1 ms, then catch up. */
  const scheduler = async (rate: number): Promise<void> => {
    const running = new Set<Promise<void>>();
    for (let i = 0; sent < o.maxRequests && o.alive() && !abort.signal.aborted; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due >= windowEnd) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent++;
      if (running.size >= o.concurrency) {
        fail(`not sent: ${o.concurrency} submits already in flight (open-loop cap, --concurrency)`);
        continue;
      }
      const p = submit(`${o.gidPrefix}-${i}`, due, performance.now()).finally(() => running.delete(p));
      running.add(p);
    }
    await Promise.all([...running]);
  };

  const workers = o.rate === undefined ? Array.from({ length: o.concurrency }, (_, i) => worker(i)) : [scheduler(o.rate)];
  // Hard stop: whatever is still in flight this long after the window is aborted.
  const deadline = setTimeout(() => {
    abort.abort(new Error('drain deadline'));
    http.abortAll(new Error('drain deadline')); // counted as aborted: the signal is aborted
  }, Math.max(0, windowEnd - performance.now()) + o.drainMs);
  await Promise.all(workers);
  await Promise.all([...pollers]);
  clearTimeout(deadline);
  await http.close();
  submitMs.sort((a, b) => a - b);
  const openLoop = o.rate === undefined ? undefined : { lateMs: lateMs.sort((a, b) => a - b), fromSendMs: fromSendMs.sort((a, b) => a - b) };
  const measuredSeconds = Math.min(o.measureMs, Math.max(0, performance.now() - windowStart)) / 1000;
  return { measuredSeconds, completed: submitMs.length, submitMs, sent, errors, errorKinds, perSecond, samples, aborted, ...(openLoop === undefined ? {} : { openLoop }) };
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
