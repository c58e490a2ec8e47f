/**
 * Long-run mode of bench/main.ts (`--long-run N`): one system (dtx, or the peer) takes N sagas
 * of one workload without a warm-up, and the RSS of every process involved is read every
 * `every` successful sagas (and before the first), with the rate since the previous reading.
 * The question it answers: does memory stay flat over many finished sagas?
 */
import { performance } from 'node:perf_hooks';
import { runLoad } from './load-generator.js';
import type { BranchService } from './branch-service.js';
import type { Broker } from './kafka-cluster.js';
import { meterProcesses, rssMiB, type WatchedProcess } from './process-stats.js';
import { code, loadLabel, type Workload } from './report.js';
import { submitBody, type RunPoint } from './measured-run.js';
import type { BenchTarget } from './targets.js';

export interface LongRunOptions {
  readonly workload: Workload;
  readonly point: RunPoint;
  readonly sagas: number;
  readonly every: number;
  readonly open: (prefix: string) => Promise<BenchTarget>;
  readonly branch: BranchService | undefined;
  readonly broker: Broker | undefined;
  /** upper bound of the run, whatever the count */
  readonly maxSeconds: number;
  /** each step's payload (payloadOf) */
  readonly payload: string;
}

interface Reading {
  readonly sagas: number;
  readonly at: number;
  readonly rss: Array<number | undefined>;
}

export async function runLongRun(o: LongRunOptions): Promise<{ text: string; ok: boolean }> {
  const target = await o.open(`dtxbench-${Date.now().toString(36)}-long-${o.workload}`);
  const procs: WatchedProcess[] = [
    ...target.watched,
    ...(target.system === 'dtx' && o.broker?.pid !== undefined ? [{ name: 'kafka broker', pid: o.broker.pid }] : []),
    ...(o.branch ? [{ name: 'branch service', pid: o.branch.pid }] : []),
    { name: 'load generator', pid: process.pid },
  ];
  const t0 = performance.now();
  const read = (sagas: number): Reading => ({ sagas, at: performance.now(), rss: procs.map((p) => rssMiB(p.pid)) });
  const readings: Reading[] = [read(0)];
  const meter = meterProcesses(procs);
  let ok = 0;
  try {
    const load = await runLoad({
      origins: target.origins,
      concurrency: o.point.concurrency,
      rate: o.point.rate,
      warmupMs: 0,
      measureMs: o.maxSeconds * 1000,
      maxRequests: o.sagas,
      body: submitBody(o.workload, o.branch?.origin, undefined, o.payload),
      gidPrefix: `long-${target.system}-${Date.now().toString(36)}`,
      sampleRate: 0,
      pollCompletion: false,
      requestTimeoutMs: 30_000,
      drainMs: 30_000,
      alive: () => target.alive(),
      onSuccess: () => {
        ok++;
        if (ok % o.every === 0) {
          const r = read(ok);
          readings.push(r);
          const prev = readings.at(-2)!;
          const rate = ((r.sagas - prev.sagas) * 1000) / (r.at - prev.at);
          process.stderr.write(`bench:   ${target.system} ${ok} sagas, ${rate.toFixed(0)} tx/s, RSS MiB ${procs.map((p, i) => `${p.name} ${r.rss[i]?.toFixed(0) ?? 'gone'}`).join(', ')}\n`);
        }
      },
    });
    const used = meter.stop();
    if (readings.at(-1)!.sagas !== ok) readings.push(read(ok));
    const head = ['sagas', 'seconds', 'tx/s since previous', ...procs.map((p) => `${p.name} RSS MiB`)];
    const out = [
      `### Long run: ${target.system}, ${o.workload}, ${loadLabel(o.point)}, ${o.sagas} sagas`,
      '',
      ...target.notes.map((n) => `- ${n}`),
      `- ${load.sent} submits sent, ${ok} succeeded, ${load.errors} failed, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      `- CPU ms per saga over the run: ${used.map((u) => `${u.name} ${ok > 0 ? ((1000 * u.cpuSeconds) / ok).toFixed(3) : 'n/a'}`).join(', ')}`,
      ...[...load.errorKinds].map(([kind, n]) => `- error ×${n}: ${code(kind)}`),
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---:').join('|')}|`,
    ];
    for (const [i, r] of readings.entries()) {
      const prev = readings[i - 1];
      const rate = prev === undefined ? '–' : (((r.sagas - prev.sagas) * 1000) / (r.at - prev.at)).toFixed(0);
      out.push(`| ${r.sagas} | ${((r.at - t0) / 1000).toFixed(1)} | ${rate} | ${r.rss.map((v) => v?.toFixed(0) ?? 'gone').join(' | ')} |`);
    }
    return { text: out.join('\n') + '\n', ok: load.errors === 0 && target.alive() };
  } finally {
    meter.stop();
    await target.stop();
  }
}
