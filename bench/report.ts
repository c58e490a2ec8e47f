/**
 * Markdown report of bench/main.ts: the results table and the run notes, one row per
 * (workload, concurrency) run. The Kafka-only sections (recovery, rebuild) are appended by
 * bench/kafka-recovery.ts and bench/kafka-rebuild-timing.ts.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { percentile, type LoadResult } from './load-generator.js';

export type Workload = 'empty' | 'http';

export interface Row {
  /** Kafka topic prefix of the run (store kafka) */
  prefix: string | undefined;
  workload: Workload;
  concurrency: number;
  load: LoadResult;
  completionP99: number | undefined;
  completionNote: string;
  verified: Map<string, number>;
  /** largest dtx process (the only one for sqlite, the biggest worker for kafka) */
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
    '| workload | concurrency | tx/s | submit p50 ms | submit p99 ms | completion p99 ms | errors | sampled gids (query after run) | dtx RSS end MiB | dtx RSS peak MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    const verified = [...r.verified].map(([k, v]) => `${v} ${k}`).join(', ') || 'none sampled';
    out.push(
      `| ${r.workload} | ${r.concurrency} | ${tps(r).toFixed(0)} | ${ms(percentile(r.load.submitMs, 50))} | ${ms(percentile(r.load.submitMs, 99))} | ` +
        `${ms(r.completionP99)} | ${r.load.errors} | ${verified} | ${mib(r.rssEnd)} | ${mib(r.rssPeak)} |`,
    );
  }
  out.push('', 'Run notes:', '');
  for (const r of rows) {
    const notes: string[] = [`${r.load.sent} submits sent`, `completion p99 ${r.completionNote}`, `per-second tx: ${r.load.perSecond.join(' ')}`];
    if (r.branchCalls !== undefined) notes.push(`${r.branchCalls} branch calls served`);
    notes.push(`CPU (% of one core): ${r.cpu}`, ...r.notes);
    if (r.restPct > 20) notes.push('NOISY: something else used the CPUs during this run, figures are not clean');
    if (r.load.aborted > 0) notes.push(`${r.load.aborted} requests aborted at the drain deadline`);
    if (r.load.perSecond.some((n) => n === 0)) notes.push('STALL: a second of the window had no successful submit');
    if (r.dtxExit !== undefined) notes.push(`DTX EXITED during the run (${r.dtxExit})`);
    out.push(`- ${r.workload} c=${r.concurrency}: ${notes.join('; ')}`);
    for (const [kind, n] of r.load.errorKinds) out.push(`  - error ×${n}: ${code(kind)}`);
    const problems = groupProblems(r.dtxProblems);
    for (const [what, n] of problems.slice(0, 10)) out.push(`  - dtx stderr ×${n}: ${code(what)}`);
    if (problems.length > 10) out.push(`  - … ${problems.length - 10} more kinds of dtx warn/error lines`);
    if (r.dtxExit !== undefined) for (const line of r.dtxTail.slice(-8)) out.push(`  - dtx last stderr: ${code(line)}`);
  }
  return out.join('\n') + '\n';
}
