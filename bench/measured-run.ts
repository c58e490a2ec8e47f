/**
 * One (workload, concurrency or rate) run of bench/main.ts on one system: open the target (one
 * dtx, a cluster of Kafka workers on a fresh prefix, or the peer), warm up, measure the window,
 * query the sampled gids, read CPU and RSS of every process involved, stop the target.
 * CPU ms per saga = CPU time a process used over the whole run (warm-up, window, drain) divided by
 * the sagas that succeeded over that same run.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { percentile, queryStatus, runLoad, type LoadResult } from './load-generator.js';
import type { BranchService } from './branch-service.js';
import type { Flags } from './flags.js';
import { machineBusySeconds, meterProcesses, type WatchedProcess } from './process-stats.js';
import type { Broker } from './kafka-cluster.js';
import { createGrpcSubmitter } from './grpc-submitter.js';
import { distinctPayload, payloadOf } from './bench-payload.js';
import { windowNote } from './server-latency.js';
import type { Ingress, Row, Workload } from './report.js';
import type { BenchTarget } from './targets.js';

/** The load of one run: closed loop at `concurrency`, or open loop at `rate` (capped by `concurrency` in flight). */
export interface RunPoint {
  readonly concurrency: number;
  readonly rate?: number;
}

/**
 * Submit body of a workload: `empty` (dtm's benchEmptyUrl) or `http` (branches at `branch`), each
 * step with `payload` (payloadOf), distinct per saga and step (distinctPayload). `extra` is spliced into the JSON (e.g.
 * `"wait_result":false,"retry_interval":3600`).
 */
export function submitBody(workload: Workload, branch: string | undefined, extra = '"wait_result":true', payload = '{}'): (gid: string) => string {
  const steps =
    workload === 'empty'
      ? '[{"action":"","compensate":""},{"action":"","compensate":""}]'
      : `[{"action":"${branch}/api/busi/TransOut","compensate":"${branch}/api/busi/TransOutRevert"},` +
        `{"action":"${branch}/api/busi/TransIn","compensate":"${branch}/api/busi/TransInRevert"}]`;
  const head = `","trans_type":"saga","steps":${steps},"payloads":[`;
  const tail = `],${extra}}`;
  return (gid) => `{"gid":"${gid}${head}${JSON.stringify(distinctPayload(payload, gid, 1))},${JSON.stringify(distinctPayload(payload, gid, 2))}${tail}`;
}

/**
 * With `ingress` grpc, submits go to dtx's gRPC port (bench/grpc-submitter.ts) and `branch` is the
 * gRPC branch service; the row's system is then `<system> grpc`.
 */
export async function runOne(f: Flags, workload: Workload, point: RunPoint, open: (prefix: string) => Promise<BenchTarget>, branch: BranchService | undefined, broker: Broker | undefined, ingress: Ingress = 'http'): Promise<Row> {
  const axis = point.rate === undefined ? `c${point.concurrency}` : `r${point.rate}`;
  const prefix = `dtxbench-${Date.now().toString(36)}-${workload}-${axis}`;
  const target = await open(prefix);
  const callsBefore = branch ? await branch.calls() : 0;
  const system: WatchedProcess[] = [...target.watched, ...(target.system === 'dtx' && broker?.pid !== undefined ? [{ name: 'kafka broker', pid: broker.pid }] : [])];
  const harness: WatchedProcess[] = [...(branch ? [{ name: 'branch service', pid: branch.pid }] : []), { name: 'load generator', pid: process.pid }];
  const grpc = ingress === 'grpc' ? createGrpcSubmitter(workload, branch?.origin, f.payloadBytes === 0 ? '' : payloadOf(f.payloadBytes)) : undefined;
  const grpcTargets = target.grpcTargets;
  if (grpc !== undefined && grpcTargets === undefined) throw new Error(`${target.system} has no gRPC ingress to load`);
  const meter = meterProcesses([...system, ...harness]);
  const busy0 = { all: machineBusySeconds(), at: Date.now() };
  // the load generator's own stalls: an open loop times each submit from when it was due
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  try {
    // read while the load runs: the histogram at the window's start and end
    const serverSide = windowNote(target.origins, f.warmup * 1000, (f.warmup + f.seconds) * 1000);
    const load = await runLoad({
      origins: target.origins,
      concurrency: point.concurrency,
      rate: point.rate,
      warmupMs: f.warmup * 1000,
      measureMs: f.seconds * 1000,
      maxRequests: f.maxRequests,
      body: submitBody(workload, branch?.origin, undefined, payloadOf(f.payloadBytes)),
      gidPrefix: `bench-${target.system}-${workload}-${axis}-${Date.now().toString(36)}`,
      sampleRate: f.sampleRate,
      pollCompletion: workload === 'http',
      requestTimeoutMs: 30_000,
      drainMs: 30_000,
      alive: () => target.alive(),
      submitVia: grpc && { targets: () => grpcTargets!, send: grpc.submit },
    });
    const wall = (Date.now() - busy0.at) / 1000;
    const used = meter.stop();
    const usage = used.map((u, i) => ({ ...u, system: i < system.length }));
    const rest = machineBusySeconds() - busy0.all - used.reduce((a, u) => a + u.cpuSeconds, 0);
    const restPct = (100 * Math.max(0, rest)) / wall;
    const sagas = load.sent - load.errors;
    const pct = (sec: number): string => `${((100 * sec) / wall).toFixed(0)}%`;
    const perSaga = (sec: number): string => (sagas > 0 ? ((1000 * sec) / sagas).toFixed(3) : 'n/a');
    const cpu =
      usage.map((u) => `${u.name} ${pct(u.cpuSeconds)} = ${perSaga(u.cpuSeconds)} ms/saga`).join(', ') +
      `, rest of machine (other processes, kernel softirq) ${pct(Math.max(0, rest))}`;
    const rssOf = target.watched.map((w) => usage.find((u) => u.pid === w.pid)!);
    const rssEnd = rssOf.some((u) => u.rssEnd === undefined) ? undefined : Math.max(...rssOf.map((u) => u.rssEnd!));
    const rssPeak = Math.max(...rssOf.map((u) => u.rssPeak));
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
    const rssNote = `RSS end / peak MiB: ${usage.map((u) => `${u.name} ${u.rssEnd?.toFixed(0) ?? 'gone'} / ${u.rssPeak.toFixed(0)}`).join(', ')}`;
    const loopNote = `load generator event-loop delay p99 / max ${(loopDelay.percentile(99) / 1e6).toFixed(1)} / ${(loopDelay.max / 1e6).toFixed(1)} ms`;
    const serverNote = await serverSide;
    const lateNote = openLoopNote(load);
    const notes = [...target.notes, rssNote, loopNote, ...(lateNote === undefined ? [] : [lateNote]), ...(serverNote === undefined ? [] : [serverNote]), ...(await target.finalNotes())];
    const procs = target.procs;
    const tag = (i: number, line: string): string => (procs.length > 1 ? `[worker ${i}] ${line}` : line);
    const gone = target.alive() ? undefined : `${target.system}: a watched process is gone`;
    return {
      system: ingress === 'grpc' ? `${target.system} grpc` : target.system, rate: point.rate, sagas, usage,
      prefix: f.store === 'kafka' && target.system === 'dtx' ? prefix : undefined, workload, concurrency: point.concurrency, load, completionP99, completionNote, verified, rssEnd, rssPeak, branchCalls, cpu, restPct, notes,
      dtxProblems: procs.flatMap((p) => p.problems),
      dtxExit: procs.map((p, i) => (p.exitInfo === undefined ? undefined : tag(i, p.exitInfo))).find((x) => x !== undefined) ?? gone,
      dtxTail: procs.flatMap((p, i) => (p.exitInfo === undefined ? [] : p.tail.map((l) => tag(i, l)))),
    };
  } finally {
    loopDelay.disable();
    grpc?.close();
    meter.stop();
    await target.stop();
  }
}

/**
 * The run note of an open loop: how late the load generator sent the submits it timed, and their
 * latency from the send. Undefined for a closed loop, or without an answer in the window.
 */
function openLoopNote(r: LoadResult): string | undefined {
  if (r.openLoop === undefined || r.openLoop.lateMs.length === 0) return undefined;
  const { lateMs, fromSendMs } = r.openLoop;
  const f = (v: number | undefined): string => (v ?? 0).toFixed(2);
  return (
    `open loop: submits sent late by the load generator p50 / p99 ${f(percentile(lateMs, 50))} / ${f(percentile(lateMs, 99))} ms ` +
    `(counted in the submit latency, which runs from when each was due); from the send, submit p50 / p99 ` +
    `${f(percentile(fromSendMs, 50))} / ${f(percentile(fromSendMs, 99))} ms`
  );
}
