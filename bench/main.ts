/**
 * End-to-end benchmark of dtx over its dtm HTTP API (docs/benchmarks.md).
 *
 *   npm run bench -- [--workload empty,http] [--concurrency 10,50,200] [--seconds 10]
 *                    [--sync-commit true|false] [--store sqlite|kafka] [--workers 1|3] [--out file.md]
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
 * Prints a markdown report (and writes it to --out). Exit code 1 when a run saw errors, a stall,
 * dtx died, or a Kafka measurement failed its checks; 2 on bad flags.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runLoad } from './load-generator.js';
import { startBranchService, type BranchService } from './branch-service.js';
import { startBroker, type Broker } from './kafka-cluster.js';
import { runRebuild } from './kafka-rebuild.js';
import { runRecovery } from './kafka-recovery.js';
import { report, tps, type Row, type Workload } from './report.js';
import { runOne, submitBody, type Flags } from './measured-run.js';
import { startTarget } from './targets.js';

const WORKLOADS: readonly Workload[] = ['empty', 'http'];

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const nonNegativeInt = (v: string): number => (v === '0' ? 0 : positiveInt(v));
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

function parseFlags(): Flags {
  const program = new Command('bench')
    .description('end-to-end dtx benchmark over the dtm HTTP API (127.0.0.1 only)')
    .option('--workload <list>', 'comma list of empty|http', workloadList, ['empty', 'http'] as Workload[])
    .option('--concurrency <list>', 'comma list of in-flight submits', intList, [10, 50, 200])
    .option('--seconds <n>', 'measured seconds per run', positiveInt, 10)
    .option('--warmup <n>', 'warm-up seconds per run (not measured)', (v) => Number(v), 2)
    .addOption(new Option('--store <driver>', 'event log store').choices(['sqlite', 'kafka']).default('sqlite'))
    .option('--sync-commit <bool>', 'STORE_SYNC_COMMIT of dtx (fsync per group commit; no effect with kafka)', bool, true)
    .option('--out <file>', 'also write the markdown report here')
    .option('--max-requests <n>', 'cap on submits per run', positiveInt, 2_000_000)
    .option('--sample-rate <f>', 'fraction of gids checked with query', (v) => Number(v), 0.01)
    .option('--cpu-prof-dir <dir>', 'run dtx under node --cpu-prof, profiles written here')
    .option('--workers <n>', 'kafka: dtx workers per run', positiveInt, 1)
    .option('--partitions <n>', 'kafka: STORE_PARTITIONS (partitions of every topic)', positiveInt, 16)
    .option('--kafka-port <n>', 'kafka: port of the local broker (scripts/kafka-local.sh), started unless running', positiveInt, 39600)
    .option('--broker-warmup <s>', 'kafka: seconds of unmeasured load on a throwaway prefix before the first run (0 = none)', nonNegativeInt, 10)
    .option('--session-timeout <s>', 'kafka: STORE_KAFKA_SESSION_TIMEOUT of the workers', positiveInt, 6)
    .option('--recovery <bool>', 'kafka, --workers >= 2: measure recovery after SIGKILL of one worker', bool, true)
    .option('--kill-after <s>', 'kafka recovery: seconds of load before the kill', positiveInt, 5)
    .option('--rebuild <bool>', 'kafka: measure a rebuild by a fresh worker on the largest run', bool, true)
    .option('--rebuild-open <n>', 'kafka rebuild: open transactions added before the second rebuild', nonNegativeInt, 2000)
    .option('--rebuild-events <n>', 'kafka rebuild: grow the topic to this many events (copies) before the second rebuild', nonNegativeInt, 200_000)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();
  const bad = (why: string): never => {
    process.stderr.write(`bench: ${why}\n`);
    process.exit(2);
  };
  if (!(f.warmup >= 0) || !(f.sampleRate >= 0 && f.sampleRate <= 1)) bad('--warmup must be >= 0 and --sample-rate within 0..1');
  if (f.store === 'sqlite' && f.workers !== 1) bad('--workers is for --store kafka (the embedded log has one process)');
  if (f.kafkaPort > 65534) bad('--kafka-port must be below 65535 (the controller listens on port+1)');
  return f;
}

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
      out.push(await runRecovery({ ...cluster, prefix, workers: f.workers, workload, concurrency: 50, killAfterSeconds: f.killAfter, afterSeconds, body: submitBody(workload, branch?.origin) }));
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

async function main(): Promise<void> {
  const f = parseFlags();
  const startedAt = new Date();
  const rows: Row[] = [];
  const extras: Array<{ text: string; ok: boolean }> = [];
  let broker: Broker | undefined;
  try {
    if (f.store === 'kafka') {
      process.stderr.write(`bench: kafka broker on 127.0.0.1:${f.kafkaPort} (scripts/kafka-local.sh start)…\n`);
      broker = await startBroker(f.kafkaPort);
      process.stderr.write(`bench:   ${broker.startedHere ? 'started' : 'reused a running broker'} (pid ${broker.pid ?? '?'})\n`);
      if (f.brokerWarmup > 0) await warmBroker(f, broker);
    }
    for (const workload of f.workload) {
      const branch: BranchService | undefined = workload === 'http' ? await startBranchService(3600) : undefined;
      try {
        for (const c of f.concurrency) {
          process.stderr.write(`bench: ${workload} concurrency=${c} (${f.warmup} s warm-up + ${f.seconds} s)…\n`);
          const row = await runOne(f, workload, c, branch, broker);
          rows.push(row);
          process.stderr.write(`bench:   ${tps(row).toFixed(0)} tx/s, ${row.load.errors} errors\n`);
        }
      } finally {
        await branch?.stop();
      }
    }
    if (broker !== undefined) extras.push(...(await kafkaExtras(f, broker, rows)));
  } finally {
    await broker?.stop();
  }
  const title =
    f.store === 'kafka'
      ? `dtx bench: store=kafka, ${f.workers} worker(s), ${f.partitions} partitions, session timeout ${f.sessionTimeout} s, sync-commit=${f.syncCommit}, ${f.seconds} s measured after ${f.warmup} s warm-up`
      : `dtx bench: store=${f.store}, sync-commit=${f.syncCommit}, ${f.seconds} s measured after ${f.warmup} s warm-up`;
  const text = [report({ title, startedAt, argv: process.argv.slice(2) }, rows), ...extras.map((e) => e.text)].join('\n');
  process.stdout.write(text);
  if (f.out !== undefined) writeFileSync(f.out, text);
  const bad = rows.some((r) => r.load.errors > 0 || r.dtxExit !== undefined || r.load.perSecond.some((n) => n === 0)) || extras.some((e) => !e.ok);
  if (bad) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
