/**
 * Markdown report of bench/main.ts: the results table and the run notes, one row per
 * (workload, concurrency) run. The Kafka-only sections (recovery, rebuild) are appended by
 * bench/kafka-recovery.ts and bench/kafka-rebuild-timing.ts.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { percentile, type LoadResult } from './load-generator.js';
import type { ProcessUse } from './process-stats.js';

export type Workload = 'empty' | 'http';
/** How submits reach dtx (and, for the `http` workload, how dtx calls the branches). */
export type Ingress = 'http' | 'grpc';

export interface Row {
  /** `dtx` or the peer's name */
  system: string;
  /** open loop: scheduled submits per second (then `concurrency` is the in-flight cap) */
  rate?: number;
  /** sagas that succeeded over the whole run (warm-up and drain included): the CPU ms/saga divisor */
  sagas: number;
  /** every metered process; `system` marks the system's own (dtx, broker; dtm, redis-server) */
  usage: Array<ProcessUse & { system: boolean }>;
  /** Kafka topic prefix of the run (store kafka) */
  prefix: string | undefined;
  workload: Workload;
  concurrency: number;
  load: LoadResult;
  completionP99: number | undefined;
  completionNote: string;
  verified: Map<string, number>;
  /** largest server process of the system (dtx: the biggest worker; peer: its largest watched process) */
  rssEnd: number | undefined;
  rssPeak: number;
  dtxProblems: string[];
  dtxExit: string | undefined;
  dtxTail: string[];
  branchCalls?: number;
  /** CPU use over the run (warm-up + window + drain), % of one core. */
  cpu: string;
  /** % of one core busy outside dtx, the generator, the branch service and the broker. */
  restPct: number;
  /** store specific facts (Kafka ownership, prefix, per-worker RSS) */
  notes: string[];
}

export interface ReportHeader {
  readonly title: string;
  readonly startedAt: Date;
  readonly argv: readonly string[];
}

export const ms = (v: number | undefined): string => (v === undefined ? 'n/a' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const mib = (v: number | undefined): string => (v === undefined ? 'gone' : v.toFixed(0));
/** Makes a log line or message safe inside a markdown code span. */
export const code = (s: string, max = 400): string => `\`${s.replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, max)}\``;

/** CPU ms per saga of the system's own processes together. */
export function systemCpuMs(r: Row): number | undefined {
  return r.sagas > 0 ? (1000 * r.usage.filter((u) => u.system).reduce((a, u) => a + u.cpuSeconds, 0)) / r.sagas : undefined;
}

/** The load of a row: `c=50` (closed loop) or `100/s` (open loop). */
export const loadLabel = (r: Pick<Row, 'concurrency' | 'rate'>): string => (r.rate === undefined ? `c=${r.concurrency}` : `${r.rate}/s`);

export function tps(r: Row): number {
  return r.load.measuredSeconds > 0 ? r.load.completed / r.load.measuredSeconds : 0;
}

function gitRevision(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src', 'machines') === '' ? '' : ' (src/machines modified)'}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Warn/error lines grouped by what they say (JSON logs: component, msg, error), most frequent first. */
export function groupProblems(lines: readonly string[]): Array<[string, number]> {
  const groups = new Map<string, number>();
  for (const line of lines) {
    let key = line;
    try {
      const j = JSON.parse(line) as { component?: string; msg?: string; error?: string; err?: { message?: string } };
      key = [j.component, j.msg, j.error ?? j.err?.message].filter((x) => x !== undefined).join(' | ');
    } catch {
      // not JSON: the line itself
    }
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].sort((a, b) => b[1] - a[1]);
}

export function report(h: ReportHeader, rows: readonly Row[]): string {
  const cpus = os.cpus();
  const out: string[] = [
    `### ${h.title}`,
    '',
    `- date: ${h.startedAt.toISOString()}`,
    `- machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}`,
    `- command: \`node dist/bench/main.js ${h.argv.join(' ')}\``,
    `- dtx revision: ${gitRevision()}`,
    '',
    '| system | workload | load | tx/s | submit p50 ms | submit p99 ms | completion p99 ms | errors | sampled gids (query after run) | server CPU ms/saga | server RSS end MiB | server RSS peak MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const verified = [...r.verified].map(([k, v]) => `${v} ${k}`).join(', ') || 'none sampled';
    out.push(
      `| ${r.system} | ${r.workload} | ${loadLabel(r)} | ${tps(r).toFixed(0)} | ${ms(percentile(r.load.submitMs, 50))} | ${ms(percentile(r.load.submitMs, 99))} | ` +
        `${ms(r.completionP99)} | ${r.load.errors} | ${verified} | ${systemCpuMs(r)?.toFixed(3) ?? 'n/a'} | ${mib(r.rssEnd)} | ${mib(r.rssPeak)} |`,
    );
  }
  out.push('', 'Run notes:', '');
  for (const r of rows) {
    const notes: string[] = [`${r.load.sent} submits sent, ${r.sagas} succeeded`, `completion p99 ${r.completionNote}`, `per-second tx: ${r.load.perSecond.join(' ')}`];
    if (r.branchCalls !== undefined) notes.push(`${r.branchCalls} branch calls served`);
    notes.push(`CPU (% of one core): ${r.cpu}`, ...r.notes);
    if (r.restPct > 20) notes.push('NOISY: something else used the CPUs during this run, figures are not clean');
    if (r.load.aborted > 0) notes.push(`${r.load.aborted} requests aborted at the drain deadline`);
    if (r.load.perSecond.some((n) => n === 0)) notes.push('STALL: a second of the window had no successful submit');
    const warming = warmingNote(r.load.perSecond);
    if (warming !== undefined) notes.push(warming);
    if (r.dtxExit !== undefined) notes.push(`${r.system.toUpperCase()} EXITED during the run (${r.dtxExit})`);
    out.push(`- ${r.system} ${r.workload} ${loadLabel(r)}: ${notes.join('; ')}`);
    for (const [kind, n] of r.load.errorKinds) out.push(`  - error ×${n}: ${code(kind)}`);
    const problems = groupProblems(r.dtxProblems);
    for (const [what, n] of problems.slice(0, 10)) out.push(`  - dtx stderr ×${n}: ${code(what)}`);
    if (problems.length > 10) out.push(`  - … ${problems.length - 10} more kinds of dtx warn/error lines`);
    if (r.dtxExit !== undefined) for (const line of r.dtxTail.slice(-8)) out.push(`  - dtx last stderr: ${code(line)}`);
  }
  return out.join('\n') + '\n';
}

/** A window's last quarter faster than its first by this factor reads as a server still warming up. */
const WARMING_FACTOR = 1.2;

/**
 * Says so when the rate rose across the window (closed loop: the server's capacity grew while it
 * was measured). A fresh dtx runs its hot code unoptimized until V8 has compiled it, ~8 s under
 * load with HTTP branches (docs/benchmarks.md, "Warm-up after a start"); the figure then sits
 * between the cold and the steady rate.
 */
function warmingNote(perSecond: readonly number[]): string | undefined {
  const quarter = Math.floor(perSecond.length / 4);
  if (quarter < 1) return undefined;
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(perSecond.slice(0, quarter));
  const last = mean(perSecond.slice(-quarter));
  if (first <= 0 || last < WARMING_FACTOR * first) return undefined;
  return `RISING: the window's last ${quarter} s ran ${Math.round((100 * (last - first)) / first)}% faster than its first (${first.toFixed(0)} -> ${last.toFixed(0)} tx/s): still warming up; a longer --warmup measures the steady rate`;
}
