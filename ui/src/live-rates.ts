import { sumBy, sumOf, type MetricSample } from '../../src/observability/prometheus-text.js';

/**
 * What the live view reads from one scrape of `/api/metrics` (src/observability/metrics.ts), and
 * the rates between two scrapes. Counters are totals since dtx started; a counter that went down
 * means dtx restarted, and its rate then counts from zero.
 */
export interface LiveSnapshot {
  /** ms since the epoch, taken in the browser when the scrape answered */
  readonly at: number;
  /** dtx_live_transactions: unfinished transactions held by the partitions */
  readonly live: number | undefined;
  readonly finishedOk: number;
  readonly finishedFail: number;
  readonly branchCalls: number;
  readonly branchFails: number;
  readonly requests: number;
  readonly appendSeconds: number;
  readonly appendCount: number;
  readonly eventsWritten: number;
  /** finished transactions per trans type: [ok, fail] */
  readonly byModel: ReadonlyMap<string, readonly [number, number]>;
  readonly residentBytes: number | undefined;
  readonly startTimeSeconds: number | undefined;
  readonly partitionsOwned: number | undefined;
  readonly consumerLag: number | undefined;
}

export function snapshotOf(samples: readonly MetricSample[], at: number): LiveSnapshot {
  const ok = sumBy(samples, 'dtm_transaction_process_total', 'model', { status: 'ok' });
  const fail = sumBy(samples, 'dtm_transaction_process_total', 'model', { status: 'fail' });
  const byModel = new Map<string, readonly [number, number]>();
  for (const model of new Set([...ok.keys(), ...fail.keys()])) byModel.set(model, [ok.get(model) ?? 0, fail.get(model) ?? 0]);
  return {
    at,
    live: sumOf(samples, 'dtx_live_transactions'),
    finishedOk: sumOf(samples, 'dtm_transaction_process_total', { status: 'ok' }) ?? 0,
    finishedFail: sumOf(samples, 'dtm_transaction_process_total', { status: 'fail' }) ?? 0,
    branchCalls: sumOf(samples, 'dtm_branch_process_total') ?? 0,
    branchFails: sumOf(samples, 'dtm_branch_process_total', { status: 'fail' }) ?? 0,
    requests: sumOf(samples, 'dtm_server_process_total') ?? 0,
    appendSeconds: sumOf(samples, 'dtx_log_append_seconds_sum') ?? 0,
    appendCount: sumOf(samples, 'dtx_log_append_seconds_count') ?? 0,
    eventsWritten: sumOf(samples, 'dtx_log_batch_records_sum') ?? 0,
    byModel,
    residentBytes: sumOf(samples, 'process_resident_memory_bytes'),
    startTimeSeconds: sumOf(samples, 'process_start_time_seconds'),
    partitionsOwned: sumOf(samples, 'dtx_partitions_owned'),
    consumerLag: sumOf(samples, 'dtx_kafka_consumer_lag'),
  };
}

export interface LiveRates {
  readonly finishedPerSec: number;
  readonly failedPerSec: number;
  readonly branchCallsPerSec: number;
  readonly requestsPerSec: number;
  readonly eventsPerSec: number;
  /** mean duration of the durable group commits in the interval, undefined without commits */
  readonly appendMs: number | undefined;
  readonly finishedPerSecByModel: ReadonlyMap<string, number>;
}

function delta(before: number, after: number): number {
  return after >= before ? after - before : after; // a reset (restart) counts from zero
}

export function ratesBetween(a: LiveSnapshot, b: LiveSnapshot): LiveRates {
  const secs = Math.max((b.at - a.at) / 1000, 0.001);
  const rate = (x: number, y: number) => delta(x, y) / secs;
  const commits = delta(a.appendCount, b.appendCount);
  const byModel = new Map<string, number>();
  for (const [model, [ok, fail]] of b.byModel) {
    const [ok0, fail0] = a.byModel.get(model) ?? [0, 0];
    byModel.set(model, rate(ok0 + fail0, ok + fail));
  }
  return {
    finishedPerSec: rate(a.finishedOk + a.finishedFail, b.finishedOk + b.finishedFail),
    failedPerSec: rate(a.finishedFail, b.finishedFail),
    branchCallsPerSec: rate(a.branchCalls, b.branchCalls),
    requestsPerSec: rate(a.requests, b.requests),
    eventsPerSec: rate(a.eventsWritten, b.eventsWritten),
    appendMs: commits > 0 ? (delta(a.appendSeconds, b.appendSeconds) / commits) * 1000 : undefined,
    finishedPerSecByModel: byModel,
  };
}

/** "12", "3.4", "0.25": rates and gauges for humans. */
export function formatRate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n === 0) return '0';
  return n >= 100 ? String(Math.round(n)) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
