import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/observability/metrics.js';
import { grpcApiLabel, httpApiLabel, UNKNOWN_API } from '../../../src/observability/api-label.js';

const DOC = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
const DASHBOARD = JSON.parse(readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};

/** The families registered on the embedded log without options, or (`kafka`) with every optional one: Kafka's, the TLS expiry, pruning, the WAL's size. */
async function families(kafka: boolean): Promise<string[]> {
  const m = new Metrics({ liveCount: () => 0, kafka, ...(kafka ? { tlsExpiry: () => [], pruning: true, walBytes: () => 0 } : {}) });
  return (await m.registry.getMetricsAsJSON()).map((f) => f.name);
}

/** Series names a PromQL expression reads (`foo_bucket` → family `foo`). */
function seriesOf(expr: string): string[] {
  return [...expr.matchAll(/\b((?:dtm|dtx|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

describe('docs/metrics.md and the Grafana dashboard match the registry', () => {
  it('documents every dtm_/dtx_ family dtx registers (Kafka ones included), and no other', async () => {
    const own = (await families(true)).filter((n) => /^(dtm|dtx)_/.test(n)).sort();
    const documented = [...new Set([...DOC.matchAll(/^\| `((?:dtm|dtx)_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!))].sort();
    expect(documented).toEqual(own);
  });

  it('exports the Kafka families only in Kafka mode, and dtm_server_info always', async () => {
    const embedded = await families(false);
    expect(embedded.filter((n) => /kafka|partition/.test(n))).toEqual([]);
    expect(embedded).toContain('dtm_server_info');
    const kafka = (await families(true)).filter((n) => /kafka|partition/.test(n)).sort();
    expect(kafka).toEqual([
      'dtx_kafka_command_batch', 'dtx_kafka_commands_total', 'dtx_kafka_consumer_lag', 'dtx_kafka_replica_store_failing', 'dtx_kafka_replica_store_failures_total',
      'dtx_partition_owned', 'dtx_partition_recovery_seconds', 'dtx_partitions_owned',
    ]);
  });

  it("reads the Kafka replica's store health on each scrape", async () => {
    const health = { failing: true, failures: 3 };
    const m = new Metrics({ liveCount: () => 0, kafka: true, replicaStore: () => health });
    const value = async (name: string) => (await m.registry.getSingleMetric(name)!.get()).values[0]?.value;
    expect([await value('dtx_kafka_replica_store_failing'), await value('dtx_kafka_replica_store_failures_total')]).toEqual([1, 3]);
    Object.assign(health, { failing: false, failures: 5 });
    expect([await value('dtx_kafka_replica_store_failing'), await value('dtx_kafka_replica_store_failures_total')]).toEqual([0, 5]);
  });

  it('the dashboard queries only families dtx exports', async () => {
    const known = new Set(await families(true));
    const used = DASHBOARD.panels.flatMap((p) => p.targets.flatMap((t) => seriesOf(t.expr)));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !known.has(n))).toEqual([]);
  });
});

describe('api label', () => {
  it('names known routes and folds everything else into unknown', () => {
    expect(['/api/dtmsvr/submit', '/api/dtmsvr/newGid', '/api/dtmsvr/query', '/api/json-rpc', '/api/metrics', '/api/dtx/history', '/api/dtmsvr/topic/orders'].map(httpApiLabel))
      .toEqual(['submit', 'newgid', 'query', 'json-rpc', 'metrics', 'history', 'topic']);
    for (const p of ['/', '/wp-login.php', '/api/dtmsvr/nope', '/api/dtmsvr/query/x', '/api/dtmsvr/submit/x', '/api/x', '/api/dtx/other']) expect(httpApiLabel(p), p).toBe(UNKNOWN_API);
    expect(grpcApiLabel('/dtmgimp.Dtm/Submit')).toBe('submit');
    expect(grpcApiLabel('/grpc.health.v1.Health/Check')).toBe('check');
    expect(grpcApiLabel('/dtmgimp.Dtm/Nope')).toBe(UNKNOWN_API);
    expect(grpcApiLabel('/x.Y/Submit')).toBe(UNKNOWN_API);
  });
});
