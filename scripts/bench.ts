/**
 * End-to-end benchmark of dtx over its dtm HTTP API (docs/benchmarks.md).
 *
 *   npm run bench -- [--workload empty,http] [--concurrency 10,50,200] [--seconds 10]
 *                    [--sync-commit true|false] [--store sqlite] [--out file.md]
 *
 * Each (workload, concurrency) run starts a fresh `dtx serve` (dist/src/cli.js) on 127.0.0.1, a
 * random port and a temp data dir, warms up, measures a fixed window, then checks ~1% of gids with
 * `query`, reads dtx's RSS and stops dtx. Workloads:
 *   empty  dtm's benchEmptyUrl: 2-step saga, empty action/compensate URLs, wait_result.
 *   http   2-step saga whose branches are a loopback node:http server in its own process.
 * Prints a markdown table (and writes it to --out). Exit code 1 when a run saw errors, a stall, or
 * dtx died; 2 on bad flags (and for --store kafka, not available yet).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { percentile, queryStatus, runLoad, type LoadResult } from './bench-load.js';
import { cpuSeconds, machineBusySeconds, rssMiB, sampleRss, startBranchService, startDtx, type BranchService } from './bench-procs.js';

type Workload = 'empty' | 'http';
const WORKLOADS: readonly Workload[] = ['empty', 'http'];

interface Flags {
  workload: Workload[];
  concurrency: number[];
  seconds: number;
  warmup: number;
  store: 'sqlite' | 'kafka';
  syncCommit: boolean;
  out?: string;
  maxRequests: number;
  sampleRate: number;
  cpuProfDir?: string;
}

interface Row {
  workload: Workload;
  concurrency: number;
  load: LoadResult;
  completionP99: number | undefined;
  completionNote: string;
  verified: Map<string, number>;
  rssEnd: number | undefined;
  rssPeak: number;
  dtxProblems: string[];
  dtxExit: string | undefined;
  dtxTail: string[];
  branchCalls?: number;
  /** CPU use over the run (warm-up + window + drain), % of one core. */
  cpu: string;
  /** % of one core busy outside dtx, the generator and the branch service. */
  restPct: number;
}

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const intList = (v: string): number[] => v.split(',').map((s) => positiveInt(s.trim()));
const workloadList = (v: string): Workload[] =>
  v.split(',').map((s) => {
    const w = s.trim();
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new InvalidArgumentError(`unknown workload '${w}' (empty|http)`);
    return w as Workload;
  });
const bool = (v: string): boolean => {
  if (v === 'true' || v === 'false') return v === 'true';
  throw new InvalidArgumentError('must be true or false');
};

function submitBody(workload: Workload, branch: string | undefined): (gid: string) => string {
  const steps =
    workload === 'empty'
      ? '[{"action":"","compensate":""},{"action":"","compensate":""}]'
      : `[{"action":"${branch}/api/busi/TransOut","compensate":"${branch}/api/busi/TransOutRevert"},` +
        `{"action":"${branch}/api/busi/TransIn","compensate":"${branch}/api/busi/TransInRevert"}]`;
  const tail = `","trans_type":"saga","steps":${steps},"payloads":["{}","{}"],"wait_result":true}`;
  return (gid) => `{"gid":"${gid}${tail}`;
}

async function runOne(f: Flags, workload: Workload, concurrency: number, branch: BranchService | undefined): Promise<Row> {
  const nodeArgs = f.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${f.cpuProfDir}`];
  const dtx = await startDtx({ syncCommit: f.syncCommit, nodeArgs });
  const callsBefore = branch ? await branch.calls() : 0;
  const rss = sampleRss(dtx.pid, 500);
  const cpu0 = { dtx: cpuSeconds(dtx.pid) ?? 0, branch: branch ? (cpuSeconds(branch.pid) ?? 0) : 0, gen: process.cpuUsage(), all: machineBusySeconds(), at: Date.now() };
  try {
    const load = await runLoad({
      origin: dtx.origin,
      concurrency,
      warmupMs: f.warmup * 1000,
      measureMs: f.seconds * 1000,
      maxRequests: f.maxRequests,
      body: submitBody(workload, branch?.origin),
      gidPrefix: `bench-${workload}-c${concurrency}-${Date.now().toString(36)}`,
      sampleRate: f.sampleRate,
      pollCompletion: workload === 'http',
      requestTimeoutMs: 30_000,
      drainMs: 30_000,
      alive: () => dtx.exitInfo === undefined,
    });
    const rssPeak = rss.stop();
    const wall = (Date.now() - cpu0.at) / 1000;
    const gen = process.cpuUsage(cpu0.gen);
    const pct = (sec: number): string => `${((100 * sec) / wall).toFixed(0)}%`;
    const used = { dtx: (cpuSeconds(dtx.pid) ?? 0) - cpu0.dtx, gen: (gen.user + gen.system) / 1e6, branch: branch ? (cpuSeconds(branch.pid) ?? 0) - cpu0.branch : 0 };
    const rest = machineBusySeconds() - cpu0.all - used.dtx - used.gen - used.branch;
    const restPct = (100 * Math.max(0, rest)) / wall;
    const cpu =
      `dtx ${pct(used.dtx)}, load generator ${pct(used.gen)}` +
      (branch ? `, branch service ${pct(used.branch)}` : '') +
      `, rest of machine (other processes, kernel softirq) ${pct(Math.max(0, rest))}`;
    const rssEnd = rssMiB(dtx.pid);
    const verified = new Map<string, number>();
    for (const s of load.samples) {
      const status = await queryStatus(dtx.origin, s.gid);
      verified.set(status, (verified.get(status) ?? 0) + 1);
    }
    let completionP99: number | undefined;
    let completionNote: string;
    if (workload === 'empty') {
      completionP99 = percentile(load.submitMs, 99);
      completionNote = '= submit p99 (wait_result answer means finished)';
    } else {
      const timed = load.samples.filter((s) => s.inWindow);
      const done = timed.map((s) => s.completionMs).filter((v): v is number => v !== undefined);
      const firstPoll = timed.filter((s) => s.polls === 1 && s.completionMs !== undefined).length;
      completionP99 = percentile(done.sort((a, b) => a - b), 99);
      completionNote =
        `over ${done.length}/${timed.length} gids sampled in the window that query showed succeed ` +
        `(${firstPoll} on the first query after the submit answer)`;
    }
    const branchCalls = branch ? (await branch.calls()) - callsBefore : undefined;
    return { workload, concurrency, load, completionP99, completionNote, verified, rssEnd, rssPeak, dtxProblems: [...dtx.problems], dtxExit: dtx.exitInfo, dtxTail: [...dtx.tail], branchCalls, cpu, restPct };
  } finally {
    rss.stop();
    await dtx.stop();
  }
}

const ms = (v: number | undefined): string => (v === undefined ? 'n/a' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const mib = (v: number | undefined): string => (v === undefined ? 'gone' : v.toFixed(0));

function gitRevision(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: import.meta.dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src', 'machines') === '' ? '' : ' (src/machines modified)'}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function report(f: Flags, rows: Row[], startedAt: Date): string {
  const cpus = os.cpus();
  const out: string[] = [
    `### dtx bench: store=${f.store}, sync-commit=${f.syncCommit}, ${f.seconds} s measured after ${f.warmup} s warm-up`,
    '',
    `- date: ${startedAt.toISOString()}`,
    `- machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}`,
    `- command: \`node dist/scripts/bench.js ${process.argv.slice(2).join(' ')}\``,
    `- dtx revision: ${gitRevision()}`,
    '',
    '| workload | concurrency | tx/s | submit p50 ms | submit p99 ms | completion p99 ms | errors | sampled gids (query after run) | dtx RSS end MiB | dtx RSS peak MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    const tps = r.load.measuredSeconds > 0 ? r.load.completed / r.load.measuredSeconds : 0;
    const verified = [...r.verified].map(([k, v]) => `${v} ${k}`).join(', ') || 'none sampled';
    out.push(
      `| ${r.workload} | ${r.concurrency} | ${tps.toFixed(0)} | ${ms(percentile(r.load.submitMs, 50))} | ${ms(percentile(r.load.submitMs, 99))} | ` +
        `${ms(r.completionP99)} | ${r.load.errors} | ${verified} | ${mib(r.rssEnd)} | ${mib(r.rssPeak)} |`,
    );
  }
  out.push('', 'Run notes:', '');
  for (const r of rows) {
    const notes: string[] = [`${r.load.sent} submits sent`, `completion p99 ${r.completionNote}`, `per-second tx: ${r.load.perSecond.join(' ')}`];
    if (r.branchCalls !== undefined) notes.push(`${r.branchCalls} branch calls served`);
    notes.push(`CPU (% of one core): ${r.cpu}`);
    if (r.restPct > 20) notes.push('NOISY: something else used the CPUs during this run, figures are not clean');
    if (r.load.aborted > 0) notes.push(`${r.load.aborted} requests aborted at the drain deadline`);
    if (r.load.perSecond.some((n) => n === 0)) notes.push('STALL: a second of the window had no successful submit');
    if (r.dtxExit !== undefined) notes.push(`DTX EXITED during the run (${r.dtxExit})`);
    out.push(`- ${r.workload} c=${r.concurrency}: ${notes.join('; ')}`);
    for (const [kind, n] of r.load.errorKinds) out.push(`  - error ×${n}: \`${kind.replace(/`/g, "'").replace(/\s+/g, ' ')}\``);
    for (const line of r.dtxProblems.slice(0, 10)) out.push(`  - dtx stderr: \`${line.replace(/`/g, "'").slice(0, 400)}\``);
    if (r.dtxProblems.length > 10) out.push(`  - … ${r.dtxProblems.length - 10} more dtx warn/error lines`);
    if (r.dtxExit !== undefined) for (const line of r.dtxTail.slice(-8)) out.push(`  - dtx last stderr: \`${line.replace(/`/g, "'").slice(0, 400)}\``);
  }
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('end-to-end dtx benchmark over the dtm HTTP API (127.0.0.1 only)')
    .option('--workload <list>', 'comma list of empty|http', workloadList, ['empty', 'http'] as Workload[])
    .option('--concurrency <list>', 'comma list of in-flight submits', intList, [10, 50, 200])
    .option('--seconds <n>', 'measured seconds per run', positiveInt, 10)
    .option('--warmup <n>', 'warm-up seconds per run (not measured)', (v) => Number(v), 2)
    .addOption(new Option('--store <driver>', 'event log store').choices(['sqlite', 'kafka']).default('sqlite'))
    .option('--sync-commit <bool>', 'STORE_SYNC_COMMIT of dtx (fsync per group commit)', bool, true)
    .option('--out <file>', 'also write the markdown report here')
    .option('--max-requests <n>', 'cap on submits per run', positiveInt, 2_000_000)
    .option('--sample-rate <f>', 'fraction of gids checked with query', (v) => Number(v), 0.01)
    .option('--cpu-prof-dir <dir>', 'run dtx under node --cpu-prof, profiles written here')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();
  if (f.store === 'kafka') {
    process.stderr.write('bench: --store kafka is not available yet (dtx only has the sqlite event log so far)\n');
    process.exit(2);
  }
  if (!(f.warmup >= 0) || !(f.sampleRate >= 0 && f.sampleRate <= 1)) {
    process.stderr.write('bench: --warmup must be >= 0 and --sample-rate within 0..1\n');
    process.exit(2);
  }
  const startedAt = new Date();
  const rows: Row[] = [];
  for (const workload of f.workload) {
    const branch = workload === 'http' ? await startBranchService(3600) : undefined;
    try {
      for (const c of f.concurrency) {
        process.stderr.write(`bench: ${workload} concurrency=${c} (${f.warmup} s warm-up + ${f.seconds} s)…\n`);
        const row = await runOne(f, workload, c, branch);
        rows.push(row);
        const tps = row.load.measuredSeconds > 0 ? row.load.completed / row.load.measuredSeconds : 0;
        process.stderr.write(`bench:   ${tps.toFixed(0)} tx/s, ${row.load.errors} errors\n`);
      }
    } finally {
      await branch?.stop();
    }
  }
  const text = report(f, rows, startedAt);
  process.stdout.write(text);
  if (f.out !== undefined) writeFileSync(f.out, text);
  const bad = rows.some((r) => r.load.errors > 0 || r.dtxExit !== undefined || r.load.perSecond.some((n) => n === 0));
  if (bad) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
