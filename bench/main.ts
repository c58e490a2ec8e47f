/**
 * End-to-end benchmark of dtx over its dtm HTTP API (docs/benchmarks.md).
 *
 *   npm run bench -- [--workload empty,http] [--concurrency 10,50,200] [--seconds 10]
 *                    [--sync-commit true|false] [--store sqlite|kafka] [--workers 1|3] [--out file.md]
 *                    [--peer dtm-redis | --peer-url URL [--peer-pid 1,2]] [--rounds 3] [--rate 2000]
 *                    [--long-run 100000]
 *
 * Each (workload, concurrency) run starts a fresh target on 127.0.0.1 (bench/measured-run.ts): one
 * `dtx serve` (dist/src/cli.js) on a temp data dir, or with --store kafka `--workers` dtx workers
 * on a fresh topic prefix of a local broker (scripts/kafka-local.sh on --kafka-port, started or
 * reused). It warms up, measures a fixed window, then checks ~1% of gids with `query`, reads CPU
 * and RSS and stops the target. Workloads:
 *   empty  dtm's benchEmptyUrl: 2-step saga, empty action/compensate URLs, wait_result.
 *   http   2-step saga whose branches are a loopback node:http server in its own process.
 * With --store kafka two measurements follow (bench/kafka-recovery.ts, -rebuild.ts):
 * recovery after SIGKILL of one worker (--workers >= 2), and a rebuild by a fresh worker.
 * With a peer (bench/peer-target.ts) every run is repeated on it, dtx and the peer alternating
 * first over --rounds rounds, and a side-by-side summary of medians comes first (bench/comparison.ts).
 * --ingress grpc adds `dtx grpc` beside dtx: the same runs over dtm's gRPC API (Submit on dtx's gRPC
 * port, the http workload's branches on a grpc-js server, bench/grpc-*.ts), compared like a peer.
 * --replay N appends the `dtx replay --all` throughput on a log of N events (bench/replay-bench.ts).
 * --rate runs open loop at fixed submit rates instead of closed loop; --long-run takes N sagas per
 * system and prints RSS every --long-every sagas (bench/long-run.ts).
 * Prints a markdown report (and writes it to --out). Exit code 1 when a run saw errors, a stall,
 * dtx died, or a Kafka measurement failed its checks; 2 on bad flags.
 */
import { writeFileSync } from 'node:fs';
import { runLoad } from './load-generator.js';
import { startBranchService, type BranchService } from './branch-service.js';
import { comparison } from './comparison.js';
import { parseFlags, type Flags } from './flags.js';
import { startBroker, type Broker } from './kafka-cluster.js';
import { runRebuild } from './kafka-rebuild.js';
import { runRecovery } from './kafka-recovery.js';
import { runLongRun } from './long-run.js';
import { runOne, submitBody, type RunPoint } from './measured-run.js';
import { payloadOf } from './bench-payload.js';
import { peerName, startPeer, type PeerSpec } from './peer-target.js';
import { replaySection } from './replay-bench.js';
import { loadLabel, report, tps, type Ingress, type Row, type Workload } from './report.js';
import { startTarget, type BenchTarget } from './targets.js';

/** The branch service lives for the whole benchmark (long runs included), at most this long. */
const BRANCH_LIFETIME_S = 4 * 3600;
/** Long run: upper bound of one system's run whatever the saga count. */
const LONG_RUN_MAX_S = 3 * 3600;

/** Kafka only: recovery (>= 2 workers) and rebuild sections, each with whether it was clean. */
async function kafkaExtras(f: Flags, broker: Broker, rows: readonly Row[]): Promise<Array<{ text: string; ok: boolean }>> {
  const out: Array<{ text: string; ok: boolean }> = [];
  const nodeArgs = f.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${f.cpuProfDir}`];
  const cluster = { brokers: broker.brokers, partitions: f.partitions, sessionTimeout: f.sessionTimeout, syncCommit: f.syncCommit, nodeArgs };
  if (f.recovery && f.workers >= 2) {
    const workload: Workload = f.workload.includes('http') ? 'http' : 'empty';
    process.stderr.write(`bench: recovery: ${f.workers} workers, ${workload} load, SIGKILL of one after ${f.killAfter} s…\n`);
    const branch = workload === 'http' ? await startBranchService(3600) : undefined;
    try {
      const prefix = `dtxbench-${Date.now().toString(36)}-recovery`;
      const afterSeconds = Math.max(15, 2 * f.sessionTimeout + 5);
      out.push(await runRecovery({ ...cluster, prefix, workers: f.workers, workload, concurrency: 50, killAfterSeconds: f.killAfter, afterSeconds, body: submitBody(workload, branch?.origin, undefined, payloadOf(f.payloadBytes)) }));
    } finally {
      await branch?.stop();
    }
  }
  const largest = [...rows].filter((r) => r.prefix !== undefined).sort((a, b) => b.load.sent - a.load.sent)[0];
  if (f.rebuild && largest?.prefix !== undefined) {
    process.stderr.write(`bench: rebuild: fresh worker on ${largest.prefix}…\n`);
    const seed = async (origin: string, n: number): Promise<string> => {
      // branches on a closed port with a 1 h retry interval: the transactions stay open
      const r = await runLoad({
        origins: [origin], concurrency: 200, warmupMs: 0, measureMs: 600_000, maxRequests: n, sampleRate: 0, pollCompletion: false,
        body: submitBody('http', 'http://127.0.0.1:1', '"wait_result":false,"retry_interval":3600'),
        gidPrefix: `open-${Date.now().toString(36)}`, requestTimeoutMs: 30_000, drainMs: 30_000, alive: () => true,
      });
      await new Promise((res) => setTimeout(res, 2000)); // let the first branch attempts fail and be logged
      return `${r.sent} sagas submitted without wait_result, branches at http://127.0.0.1:1 (refused), retry_interval 3600; ${r.errors} submit errors`;
    };
    out.push(await runRebuild({ ...cluster, prefix: largest.prefix, open: f.rebuildOpen, events: f.rebuildEvents, seed }));
  }
  return out;
}

/**
 * The broker's JVM needs a while under load before its figures settle (a cold broker gave ~30%
 * less): a throwaway target on its own prefix takes `--broker-warmup` seconds of empty sagas first.
 */
async function warmBroker(f: Flags, broker: Broker): Promise<void> {
  process.stderr.write(`bench: warming the broker up (${f.brokerWarmup} s of empty sagas, not measured)…\n`);
  const target = await startTarget({ ...f, nodeArgs: [], brokers: broker.brokers, prefix: `dtxbench-${Date.now().toString(36)}-warmup` });
  try {
    await runLoad({
      origins: target.origins, concurrency: 50, warmupMs: 0, measureMs: f.brokerWarmup * 1000, maxRequests: 10_000_000, sampleRate: 0, pollCompletion: false,
      body: submitBody('empty', undefined), gidPrefix: `warmup-${Date.now().toString(36)}`, requestTimeoutMs: 30_000, drainMs: 30_000, alive: () => true,
    });
  } finally {
    await target.stop();
  }
}

/** The systems a run compares: dtx, then the peer when one is given. */
interface System {
  readonly name: string;
  readonly open: (prefix: string) => Promise<BenchTarget>;
  readonly ingress: Ingress;
}

function systemsOf(f: Flags, broker: Broker | undefined): System[] {
  const nodeArgs = f.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${f.cpuProfDir}`];
  const dtx: System = { name: 'dtx', ingress: 'http', open: (prefix) => startTarget({ ...f, nodeArgs, brokers: broker?.brokers, prefix }) };
  if (f.ingress.includes('grpc')) return [dtx, { ...dtx, name: 'dtx grpc', ingress: 'grpc' }];
  const spec: PeerSpec | undefined =
    f.peerUrl !== undefined ? { kind: 'url', url: f.peerUrl, pids: f.peerPid } : f.peer === 'dtm-redis' ? { kind: 'dtm-redis', appendfsync: f.redisFsync } : undefined;
  return spec === undefined ? [dtx] : [dtx, { name: peerName(spec), ingress: 'http', open: () => startPeer(spec) }];
}

async function main(): Promise<void> {
  const f = parseFlags();
  const startedAt = new Date();
  const rows: Row[] = [];
  const extras: Array<{ text: string; ok: boolean }> = [];
  const points: RunPoint[] = f.rate === undefined ? f.concurrency.map((c) => ({ concurrency: c })) : f.rate.map((rate) => ({ concurrency: f.concurrency[0]!, rate }));
  let broker: Broker | undefined;
  let branch: BranchService | undefined;
  let grpcBranch: BranchService | undefined;
  try {
    if (f.store === 'kafka') {
      process.stderr.write(`bench: kafka broker on 127.0.0.1:${f.kafkaPort} (scripts/kafka-local.sh start)…\n`);
      broker = await startBroker(f.kafkaPort);
      process.stderr.write(`bench:   ${broker.startedHere ? 'started' : 'reused a running broker'} (pid ${broker.pid ?? '?'})\n`);
      if (f.brokerWarmup > 0) await warmBroker(f, broker);
    }
    const systems = systemsOf(f, broker);
    if (f.workload.includes('http')) branch = await startBranchService(BRANCH_LIFETIME_S);
    if (f.workload.includes('http') && f.ingress.includes('grpc')) grpcBranch = await startBranchService(BRANCH_LIFETIME_S, 'grpc');
    if (f.longRun > 0) {
      const workload = f.workload[0]!;
      for (const s of systems) {
        process.stderr.write(`bench: long run: ${s.name}, ${workload}, ${f.longRun} sagas…\n`);
        const b = workload === 'http' ? branch : undefined;
        extras.push(await runLongRun({ workload, point: points[0]!, sagas: f.longRun, every: f.longEvery, open: s.open, branch: b, broker, maxSeconds: LONG_RUN_MAX_S, payload: payloadOf(f.payloadBytes) }));
      }
    } else {
      for (let round = 1; round <= f.rounds; round++) {
        // interleaved: dtx goes first in odd rounds, the peer in even ones
        const order = round % 2 === 1 ? systems : [...systems].reverse();
        for (const workload of f.workload) {
          for (const point of points) {
            for (const s of order) {
              process.stderr.write(`bench: round ${round}/${f.rounds} ${s.name} ${workload} ${loadLabel(point)} (${f.warmup} s warm-up + ${f.seconds} s)…\n`);
              const branchOf = s.ingress === 'grpc' ? grpcBranch : branch;
              const row = await runOne(f, workload, point, s.open, workload === 'http' ? branchOf : undefined, broker, s.ingress);
              rows.push(row);
              process.stderr.write(`bench:   ${tps(row).toFixed(0)} tx/s, ${row.load.errors} errors\n`);
            }
          }
        }
      }
      if (broker !== undefined) extras.push(...(await kafkaExtras(f, broker, rows)));
    }
    if (f.replay > 0) extras.push(await replaySection(f.replay));
  } finally {
    await branch?.stop();
    await grpcBranch?.stop();
    await broker?.stop();
  }
  const peer = f.peerUrl ?? f.peer;
  const store =
    f.store === 'kafka'
      ? `store=kafka, ${f.workers} worker(s), ${f.partitions} partitions, session timeout ${f.sessionTimeout} s, sync-commit=${f.syncCommit}`
      : `store=${f.store}, sync-commit=${f.syncCommit}`;
  const title = `dtx bench: ${store}${peer === undefined ? '' : ` vs ${peer}${f.peer === 'dtm-redis' ? ` (Redis appendfsync ${f.redisFsync})` : ''}`}, ${f.longRun > 0 ? `long run of ${f.longRun} sagas per system` : `${f.seconds} s measured after ${f.warmup} s warm-up`}`;
  const summary = rows.length > 0 && (peer !== undefined || f.rounds > 1 || f.ingress.includes('grpc')) ? [comparison(rows, f.rounds)] : [];
  const runs = rows.length > 0 ? [report({ title, startedAt, argv: process.argv.slice(2) }, rows)] : [`### ${title}\n\n- date: ${startedAt.toISOString()}\n- command: \`node dist/bench/main.js ${process.argv.slice(2).join(' ')}\`\n`];
  const text = [...summary, ...runs, ...extras.map((e) => e.text)].join('\n');
  process.stdout.write(text);
  if (f.out !== undefined) writeFileSync(f.out, text);
  const bad = rows.some((r) => r.load.errors > 0 || r.dtxExit !== undefined || r.load.perSecond.some((n) => n === 0)) || extras.some((e) => !e.ok);
  if (bad) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
