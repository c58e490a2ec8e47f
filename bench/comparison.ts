/**
 * Side-by-side summary of bench/main.ts over its rounds: per (workload, load) and system, the
 * median of every figure over the rounds, taken figure by figure (the median tx/s and the median
 * p99 may come from different rounds). With two systems (dtx and a peer) it shows the ratio
 * dtx / peer of the median tx/s, and the failed submits of all rounds. Every round's tx/s is
 * listed under the table.
 */
import { percentile } from './load-generator.js';
import { loadLabel, ms, systemCpuMs, tps, type Row } from './report.js';

/** Median of the defined values (the mean of the middle two for an even count). */
export function median(values: ReadonlyArray<number | undefined>): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

const fixed = (v: number | undefined, digits: number): string => (v === undefined ? 'n/a' : v.toFixed(digits));

interface Cell {
  tps: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  cpu: string;
  rss: string;
  branchCpu: string;
  rounds: string;
  errors: number;
}

/** Medians of one system's rows of one (workload, load). */
function cell(rows: readonly Row[]): Cell {
  const names = [...new Set(rows.flatMap((r) => r.usage.map((u) => u.name)))];
  const perProcess = (name: string, what: (cpuSeconds: number, sagas: number, rss: number | undefined) => number | undefined): number | undefined =>
    median(rows.map((r) => r.usage.find((u) => u.name === name)).map((u, i) => (u === undefined ? undefined : what(u.cpuSeconds, rows[i]!.sagas, u.rssEnd))));
  const own = names.filter((n) => rows.some((r) => r.usage.some((u) => u.name === n && u.system)));
  const cpuMs = (n: string): number | undefined => perProcess(n, (sec, sagas) => (sagas > 0 ? (1000 * sec) / sagas : undefined));
  return {
    tps: median(rows.map(tps)),
    p50: median(rows.map((r) => percentile(r.load.submitMs, 50))),
    p99: median(rows.map((r) => percentile(r.load.submitMs, 99))),
    cpu: `${fixed(median(rows.map(systemCpuMs)), 3)}${own.length > 1 ? ` (${own.map((n) => `${n} ${fixed(cpuMs(n), 3)}`).join(' + ')})` : ''}`,
    rss: own.map((n) => `${own.length > 1 ? `${n} ` : ''}${fixed(perProcess(n, (_s, _n, rss) => rss), 0)}`).join(', '),
    branchCpu: names.includes('branch service') ? fixed(cpuMs('branch service'), 3) : '–',
    rounds: rows.map((r) => tps(r).toFixed(0)).join(' / '),
    errors: rows.reduce((a, r) => a + r.load.errors, 0),
  };
}

export function comparison(rows: readonly Row[], rounds: number): string {
  const systems = [...new Set(rows.map((r) => r.system))];
  const keys = [...new Set(rows.map((r) => `${r.workload} ${loadLabel(r)}`))];
  const pair = systems.length === 2;
  const head = [
    'workload',
    'load',
    ...systems.map((s) => `${s} tx/s`),
    ...(pair ? [`${systems[0]} / ${systems[1]}`] : []),
    `errors (all rounds) ${systems.join(' / ')}`,
    ...systems.map((s) => `${s} submit p50 / p99 ms`),
    ...systems.map((s) => `${s} CPU ms/saga`),
    ...systems.map((s) => `${s} RSS end MiB`),
    'branch service CPU ms/saga',
  ];
  const out = [
    `### Summary: median of ${rounds} interleaved round${rounds === 1 ? '' : 's'}`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
  ];
  const notes: string[] = [];
  for (const key of keys) {
    const cells = systems.map((s) => cell(rows.filter((r) => r.system === s && `${r.workload} ${loadLabel(r)}` === key)));
    const [workload, load] = key.split(' ');
    const ratio = pair && cells[0]!.tps !== undefined && cells[1]!.tps ? (cells[0]!.tps / cells[1]!.tps).toFixed(2) : 'n/a';
    out.push(
      `| ${workload} | ${load} | ${cells.map((c) => fixed(c.tps, 0)).join(' | ')} | ${pair ? `${ratio} | ` : ''}${cells.map((c) => c.errors).join(' / ')} | ` +
        `${cells.map((c) => `${ms(c.p50)} / ${ms(c.p99)}`).join(' | ')} | ${cells.map((c) => c.cpu).join(' | ')} | ` +
        `${cells.map((c) => c.rss).join(' | ')} | ${cells.map((c) => c.branchCpu).join(' / ')} |`,
    );
    notes.push(`- ${key}: tx/s per round ${systems.map((s, i) => `${s} ${cells[i]!.rounds}`).join('; ')}`);
  }
  return [...out, '', ...notes, ''].join('\n');
}
