import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/observability/metrics.js';
import { parsePrometheusText, sumBy, sumOf } from '../../../src/observability/prometheus-text.js';
import { formatRate, ratesBetween, snapshotOf } from '../../../ui/src/live-rates.js';

/** The live view's reading of `/api/metrics`: the text format and the rates between two scrapes. */
const SCRAPE_1 = `# HELP dtm_transaction_process_total All transactions processed by dtm
# TYPE dtm_transaction_process_total counter
dtm_transaction_process_total{model="saga",status="ok"} 10
dtm_transaction_process_total{model="saga",status="fail"} 2
dtm_transaction_process_total{model="msg",status="ok"} 4
dtm_branch_process_total{model="saga",branchid="01",branchtype="action",status="ok"} 12
dtm_branch_process_total{model="saga",branchid="02",branchtype="action",status="fail"} 2
dtm_server_process_total{type="http",api="submit",status="ok"} 16
dtx_log_append_seconds_sum 0.5
dtx_log_append_seconds_count 100
dtx_log_batch_records_sum 300
dtx_live_transactions 7
process_resident_memory_bytes 1.048576e+08
`;

const SCRAPE_2 = SCRAPE_1.replace('model="saga",status="ok"} 10', 'model="saga",status="ok"} 30')
  .replace('dtx_log_append_seconds_sum 0.5', 'dtx_log_append_seconds_sum 0.7')
  .replace('dtx_log_append_seconds_count 100', 'dtx_log_append_seconds_count 200')
  .replace('dtx_live_transactions 7', 'dtx_live_transactions 3');

describe('parsePrometheusText', () => {
  it('reads names, labels (with escapes) and values; skips comments and broken lines', () => {
    const samples = parsePrometheusText(
      [
        '# TYPE x gauge',
        'plain 1',
        'with_ts{a="1"} 2.5 1700000000000',
        'escaped{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",} -3',
        'inf{le="+Inf"} +Inf',
        'nan NaN',
        'broken{a="1" 4',
        'novalue{a="1"}',
        '',
      ].join('\n'),
    );
    expect(samples.map((s) => s.name)).toEqual(['plain', 'with_ts', 'escaped', 'inf', 'nan']);
    expect(samples[1]).toEqual({ name: 'with_ts', labels: { a: '1' }, value: 2.5 });
    expect(samples[2]?.labels).toEqual({ path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb' });
    expect(samples[2]?.value).toBe(-3);
    expect(samples[3]?.value).toBe(Infinity);
    expect(samples[4]?.value).toBeNaN();
  });

  it('sums families by label match and per label value', () => {
    const s = parsePrometheusText(SCRAPE_1);
    expect(sumOf(s, 'dtm_transaction_process_total')).toBe(16);
    expect(sumOf(s, 'dtm_transaction_process_total', { status: 'fail' })).toBe(2);
    expect(sumOf(s, 'absent_metric')).toBeUndefined();
    expect([...sumBy(s, 'dtm_transaction_process_total', 'model')]).toEqual([['saga', 12], ['msg', 4]]);
  });

  it('reads what /api/metrics serves: histogram buckets, labels and the +Inf bound of Metrics\' own text', async () => {
    const m = new Metrics({ liveCount: () => 7 });
    for (const seconds of [0.001, 0.004, 0.007, 0.02, 3]) m.responseDuration.observe({ type: 'http', api: 'submit' }, seconds);
    m.responseDuration.observe({ type: 'grpc', api: 'submit' }, 0.002);
    m.responseDuration.observe({ type: 'http', api: 'query' }, 0.001);
    const samples = parsePrometheusText(await m.registry.metrics());
    const submit = sumBy(samples, 'dtm_server_response_duration_bucket', 'le', { api: 'submit' });
    expect(submit.get('0.005')).toBe(3);
    expect(submit.get('0.01')).toBe(4);
    expect(submit.get('+Inf')).toBe(6);
    expect(sumOf(samples, 'dtm_server_response_duration_count', { type: 'http', api: 'submit' })).toBe(5);
    expect(sumOf(samples, 'dtx_live_transactions')).toBe(7);
  });
});

describe('live rates', () => {
  it('derives the gauge and per-second rates between two scrapes', () => {
    const a = snapshotOf(parsePrometheusText(SCRAPE_1), 10_000);
    const b = snapshotOf(parsePrometheusText(SCRAPE_2), 12_000);
    expect(a.live).toBe(7);
    expect(b.live).toBe(3);
    expect(a.residentBytes).toBe(104857600);
    const r = ratesBetween(a, b);
    expect(r.finishedPerSec).toBe(10); // 20 more in 2 s
    expect(r.failedPerSec).toBe(0);
    expect(r.appendMs).toBeCloseTo(2); // 0.2 s over 100 commits
    expect(r.finishedPerSecByModel.get('saga')).toBe(10);
    expect(r.finishedPerSecByModel.get('msg')).toBe(0);
  });

  it('counts from zero after a restart (a counter that went down)', () => {
    const a = snapshotOf(parsePrometheusText(SCRAPE_2), 0);
    const b = snapshotOf(parsePrometheusText('dtm_transaction_process_total{model="saga",status="ok"} 5\n'), 1000);
    const r = ratesBetween(a, b);
    expect(r.finishedPerSec).toBe(5);
    expect(r.appendMs).toBeUndefined();
  });

  it('formats rates for reading', () => {
    expect([undefined, 0, 0.256, 3.14159, 42.42, 1234.5, NaN].map(formatRate)).toEqual(['—', '0', '0.26', '3.14', '42.4', '1235', '—']);
  });
});
