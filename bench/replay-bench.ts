/**
 * Throughput of `dtx replay --all` (docs/benchmarks.md, "Replay"):
 *
 *   npm run build && node dist/bench/replay-bench.js [events=1000000] [--dir <data dir>] [--exact]
 *
 * Fills a temp data dir with `events` events (bench/replay-fill.ts: copies of the golden logs of
 * the built-in types), or reuses `--dir` when it already holds a log, then runs the real command
 * (`node dist/src/cli.js replay --all --json --data-dir <dir>`) once with the fast fold and, with
 * `--exact`, once more folding everything through XState. Prints the events/s dtx reports, the
 * events per CPU second of the process (user + sys as /usr/bin/time reports them, start-up
 * included; blank without /usr/bin/time), which a busy machine disturbs less, and the load average
 * (how much of the machine the run had). Exit code 1 when the audit did not verify everything.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fillReplayLog } from './replay-fill.js';

const CLI = path.resolve(import.meta.dirname, '../src/cli.js');
const TIME = '/usr/bin/time';

export interface ReplayRun {
  readonly mode: 'fast' | 'exact';
  /** `--threads` given to dtx replay; 'cores' = its default (the machine's cores) */
  readonly threads: number | 'cores';
  readonly transactions: number;
  readonly events: number;
  readonly verified: number;
  readonly exactFolds: number;
  /** as `dtx replay --all` reports it: events over the audit's wall time */
  readonly eventsPerSecond: number;
  /** CPU seconds of the whole process (start-up included) */
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly load1: number;
}

function runReplay(dir: string, exact: boolean, threads: number | 'cores'): Promise<ReplayRun> {
  const args = [CLI, 'replay', '--all', '--json', '--data-dir', dir, ...(exact ? ['--exact'] : []), ...(threads === 'cores' ? [] : ['--threads', String(threads)])];
  // node reports no CPU time of a child: `time -f` does
  const [file, argv] = existsSync(TIME) ? [TIME, ['-f', 'CPU %U %S', process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(file, argv, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null && stdout === '') return reject(new Error(`dtx replay failed: ${err.message} ${stderr.slice(-400)}`));
      const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      const s = JSON.parse(stdout) as { transactions: number; events: number; verified: number; exactFolds: number; eventsPerSecond: number };
      const cpuSeconds = cpu === null ? NaN : Number(cpu[1]) + Number(cpu[2]);
      resolve({ mode: exact ? 'exact' : 'fast', threads, ...s, cpuSeconds, wallSeconds: (performance.now() - t0) / 1000, load1: loadavg()[0] ?? 0 });
    });
  });
}

/** Fills (unless `dir` holds a log) and measures; the temp dir it made is deleted afterwards. */
export async function benchReplay(events: number, opts: { dir?: string; exact?: boolean } = {}): Promise<ReplayRun[]> {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'dtx-replay-bench-'));
  try {
    if (!existsSync(path.join(dir, 'dtx.db'))) await fillReplayLog(dir, events);
    // the default (worker threads on every core), then one thread for comparison
    const runs = [await runReplay(dir, false, 'cores'), await runReplay(dir, false, 1)];
    if (opts.exact) runs.push(await runReplay(dir, true, 'cores'));
    return runs;
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** The markdown lines of a replay measurement. */
export function replayReport(runs: readonly ReplayRun[]): string {
  const rows = runs.map((r) => `| ${r.mode} | ${r.threads} | ${r.transactions} | ${r.events} | ${r.verified} | ${r.exactFolds} | ${r.eventsPerSecond} | ${Number.isFinite(r.cpuSeconds) ? Math.round(r.events / r.cpuSeconds) : ''} | ${r.load1.toFixed(1)} |`);
  return ['| fold | threads | transactions | events | verified | XState folds | events/s (dtx) | events per CPU second | load avg |', '|---|---|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

/** A section of the bench report (bench/main.ts `--replay <events>`): the fast fold's run, and whether it verified everything. */
export async function replaySection(events: number): Promise<{ text: string; ok: boolean }> {
  process.stderr.write(`bench: replay --all on ${events} events (bench/replay-fill.ts)…\n`);
  const runs = await benchReplay(events);
  const ok = runs.every((r) => r.verified === r.transactions);
  return { text: `\n## dtx replay --all\n\n${replayReport(runs)}\n`, ok };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dirAt = argv.indexOf('--dir');
  const dir = dirAt >= 0 ? argv[dirAt + 1] : undefined;
  const n = argv.find((a, i) => /^\d+$/.test(a) && argv[i - 1] !== '--dir');
  const runs = await benchReplay(Number(n ?? 1_000_000), { ...(dir ? { dir: path.resolve(dir) } : {}), exact: argv.includes('--exact') });
  process.stdout.write(`${replayReport(runs)}\n`);
  if (runs.some((r) => r.verified !== r.transactions)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`replay-bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
