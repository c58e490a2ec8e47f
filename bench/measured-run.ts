/**
 * One (workload, concurrency) run of bench/main.ts: start the target (one dtx, or a cluster of
 * Kafka workers on a fresh prefix), warm up, measure the window, query the sampled gids, read CPU
 * and RSS, stop the target.
 */
import { percentile, queryStatus, runLoad } from './load-generator.js';
import type { BranchService } from './branch-service.js';
import { cpuSeconds, machineBusySeconds, rssMiB, sampleRss } from './process-stats.js';
import type { Broker } from './kafka-cluster.js';
import type { Row, Workload } from './report.js';
import { startTarget } from './targets.js';

export interface Flags {
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
  workers: number;
  partitions: number;
  kafkaPort: number;
  sessionTimeout: number;
  brokerWarmup: number;
  recovery: boolean;
  killAfter: number;
  rebuild: boolean;
  rebuildOpen: number;
  rebuildEvents: number;
}

/**
 * Submit body of a workload: `empty` (dtm's benchEmptyUrl) or `http` (branches at `branch`).
 * `extra` is spliced into the JSON (e.g. `"wait_result":false,"retry_interval":3600`).
 */
export function submitBody(workload: Workload, branch: string | undefined, extra = '"wait_result":true'): (gid: string) => string {
  const steps =
    workload === 'empty'
      ? '[{"action":"","compensate":""},{"action":"","compensate":""}]'
      : `[{"action":"${branch}/api/busi/TransOut","compensate":"${branch}/api/busi/TransOutRevert"},` +
        `{"action":"${branch}/api/busi/TransIn","compensate":"${branch}/api/busi/TransInRevert"}]`;
  const tail = `","trans_type":"saga","steps":${steps},"payloads":["{}","{}"],${extra}}`;
  return (gid) => `{"gid":"${gid}${tail}`;
}

export async function runOne(f: Flags, workload: Workload, concurrency: number, branch: BranchService | undefined, broker: Broker | undefined): Promise<Row> {
  const nodeArgs = f.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${f.cpuProfDir}`];
  const prefix = `dtxbench-${Date.now().toString(36)}-${workload}-c${concurrency}`;
  const target = await startTarget({ ...f, nodeArgs, brokers: broker?.brokers, prefix });
  const pids = target.procs.map((p) => p.pid);
  const callsBefore = branch ? await branch.calls() : 0;
  const rss = pids.map((pid) => sampleRss(pid, 500));
  const cpuOf = (pid: number): number => cpuSeconds(pid) ?? 0;
  const others = [...(branch ? [branch.pid] : []), ...(broker?.pid !== undefined ? [broker.pid] : [])];
  const cpu0 = { dtx: pids.map(cpuOf), others: others.map(cpuOf), gen: process.cpuUsage(), all: machineBusySeconds(), at: Date.now() };
  try {
    const load = await runLoad({
      origins: target.origins,
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
      alive: () => target.procs.every((p) => p.exitInfo === undefined),
    });
    const rssPeak = Math.max(...rss.map((r) => r.stop()));
    const wall = (Date.now() - cpu0.at) / 1000;
    const gen = process.cpuUsage(cpu0.gen);
    const pct = (sec: number): string => `${((100 * sec) / wall).toFixed(0)}%`;
    const dtxEach = pids.map((pid, i) => cpuOf(pid) - cpu0.dtx[i]!);
    const othersUsed = others.map((pid, i) => cpuOf(pid) - cpu0.others[i]!);
    const used = { dtx: dtxEach.reduce((a, b) => a + b, 0), gen: (gen.user + gen.system) / 1e6, others: othersUsed.reduce((a, b) => a + b, 0) };
    const rest = machineBusySeconds() - cpu0.all - used.dtx - used.gen - used.others;
    const restPct = (100 * Math.max(0, rest)) / wall;
    const cpu =
      `dtx ${pct(used.dtx)}${pids.length > 1 ? ` (workers ${dtxEach.map(pct).join(' + ')})` : ''}, load generator ${pct(used.gen)}` +
      (branch ? `, branch service ${pct(othersUsed[0]!)}` : '') +
      (broker?.pid !== undefined ? `, kafka broker ${pct(othersUsed.at(-1)!)}` : '') +
      `, rest of machine (other processes, kernel softirq) ${pct(Math.max(0, rest))}`;
    const rssEach = pids.map((pid) => rssMiB(pid));
    const rssEnd = rssEach.some((v) => v === undefined) ? undefined : Math.max(...(rssEach as number[]));
    const verified = new Map<string, number>();
    for (const [i, s] of load.samples.entries()) {
      const status = await queryStatus(target.origins[i % target.origins.length]!, s.gid);
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
    const notes = [...target.notes, ...(pids.length > 1 ? [`RSS end per worker MiB: ${rssEach.map((v) => v?.toFixed(0) ?? 'gone').join(', ')}`] : []), ...(await target.finalNotes())];
    const procs = target.procs;
    const tag = (i: number, line: string): string => (procs.length > 1 ? `[worker ${i}] ${line}` : line);
    return {
      prefix: f.store === 'kafka' ? prefix : undefined, workload, concurrency, load, completionP99, completionNote, verified, rssEnd, rssPeak, branchCalls, cpu, restPct, notes,
      dtxProblems: procs.flatMap((p) => p.problems),
      dtxExit: procs.map((p, i) => (p.exitInfo === undefined ? undefined : tag(i, p.exitInfo))).find((x) => x !== undefined),
      dtxTail: procs.flatMap((p, i) => (p.exitInfo === undefined ? [] : p.tail.map((l) => tag(i, l)))),
    };
  } finally {
    for (const r of rss) r.stop();
    await target.stop();
  }
}
