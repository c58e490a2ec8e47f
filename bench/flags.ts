/**
 * Command-line flags of bench/main.ts (docs/benchmarks.md lists them with their defaults).
 * Bad flags exit with code 2.
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AUTO_PARTITIONS } from '../src/config/index.js';
import type { Ingress, Workload } from './report.js';

export interface Flags {
  workload: Workload[];
  /** `['http']`, or `['http', 'grpc']`: dtx over gRPC beside HTTP */
  ingress: Ingress[];
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
  /** the peer, from --peer-url (+ --peer-pid) or --peer */
  peerUrl?: string;
  peerPid: number[];
  peer?: 'dtm-redis';
  redisFsync: 'no' | 'everysec' | 'always';
  rounds: number;
  /** open loop: submits per second, one run per value (replaces the concurrency axis) */
  rate?: number[];
  /** long-run mode: this many sagas per system, RSS every `longEvery` */
  longRun: number;
  longEvery: number;
  /** LOG_LEVEL of dtx on the embedded log (dtm-redis runs with LogLevel warn) */
  dtxLogLevel: 'info' | 'warn';
  /** also measure `dtx replay --all` on a log of this many events (0 = no) */
  replay: number;
  /** each branch payload a JSON text of this many bytes (0: dtm's `{}`) */
  payloadBytes: number;
}

const WORKLOADS: readonly Workload[] = ['empty', 'http'];

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const nonNegativeInt = (v: string): number => (v === '0' ? 0 : positiveInt(v));
/** `grpc` means gRPC runs beside the HTTP ones (issue 9's comparison); `http` alone is the default. */
const ingressList = (v: string): Ingress[] => {
  const list = v.split(',').map((s) => s.trim());
  for (const i of list) if (i !== 'http' && i !== 'grpc') throw new InvalidArgumentError(`unknown ingress '${i}' (http|grpc)`);
  return list.includes('grpc') ? ['http', 'grpc'] : ['http'];
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

export function parseFlags(): Flags {
  const program = new Command('bench')
    .description('end-to-end dtx benchmark over the dtm HTTP API (127.0.0.1 only)')
    .option('--workload <list>', 'comma list of empty|http', workloadList, ['empty', 'http'] as Workload[])
    .option('--ingress <list>', 'http, or grpc: dtx over dtm\'s gRPC API too (Submit on the gRPC port, gRPC branches), beside HTTP', ingressList, ['http'] as Ingress[])
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
    .option('--partitions <n>', 'kafka: STORE_PARTITIONS (partitions of every topic; 4 is the count dtx creates topics with by default)', positiveInt, AUTO_PARTITIONS.kafka)
    .option('--kafka-port <n>', 'kafka: port of the local broker (scripts/kafka-local.sh), started unless running (below the Linux ephemeral range 32768-60999, where a client socket may hold it)', positiveInt, 29600)
    .option('--broker-warmup <s>', 'kafka: seconds of unmeasured load on a throwaway prefix before the first run (0 = none)', nonNegativeInt, 10)
    .option('--session-timeout <s>', 'kafka: STORE_KAFKA_SESSION_TIMEOUT of the workers', positiveInt, 6)
    .option('--recovery <bool>', 'kafka, --workers >= 2: measure recovery after SIGKILL of one worker', bool, true)
    .option('--kill-after <s>', 'kafka recovery: seconds of load before the kill', positiveInt, 5)
    .option('--rebuild <bool>', 'kafka: measure a rebuild by a fresh worker on the largest run', bool, true)
    .option('--rebuild-open <n>', 'kafka rebuild: open transactions added before the second rebuild', nonNegativeInt, 2000)
    .option('--rebuild-events <n>', 'kafka rebuild: grow the topic to this many events (copies) before the second rebuild', nonNegativeInt, 200_000)
    .option('--peer-url <url>', 'also load this dtm-compatible server (run by you), side by side with dtx')
    .option('--peer-pid <list>', 'with --peer-url: pids whose CPU and RSS to report (e.g. dtm and its store)', intList, [])
    .addOption(new Option('--peer <name>', 'start the peer for every run: real dtm v1.19.0 on Redis (scripts/dtm-redis.sh)').choices(['dtm-redis']))
    .addOption(new Option('--redis-fsync <policy>', 'dtm-redis: Redis appendfsync (no = in memory only)').choices(['no', 'everysec', 'always']).default('no'))
    .option('--rounds <n>', 'interleaved rounds of every run (dtx and peer alternate first); the summary shows medians', positiveInt, 1)
    .option('--rate <list>', 'open loop: comma list of submits/s, one run per value; --concurrency (first value) caps those in flight', intList)
    .option('--long-run <n>', 'long-run mode: n sagas per system (first workload and concurrency/rate), RSS every --long-every', nonNegativeInt, 0)
    .option('--long-every <n>', 'long-run mode: sagas between RSS readings', positiveInt, 10_000)
    .addOption(new Option('--dtx-log-level <level>', 'LOG_LEVEL of dtx on the embedded log; warn matches dtm-redis (LogLevel warn), info adds a line per finished saga').choices(['info', 'warn']).default('warn'))
    .option('--replay <events>', 'also measure dtx replay --all on a log of this many events (0 = no)', nonNegativeInt, 0)
    .option('--payload-bytes <n>', 'each branch payload a JSON text of this many bytes, at least 10 ({"pad":"x…"}; 0: dtm\'s {})', nonNegativeInt, 0)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();
  const bad = (why: string): never => {
    process.stderr.write(`bench: ${why}\n`);
    process.exit(2);
  };
  if (!(f.warmup >= 0) || !(f.sampleRate >= 0 && f.sampleRate <= 1)) bad('--warmup must be >= 0 and --sample-rate within 0..1');
  if (f.store === 'sqlite' && f.workers !== 1) bad('--workers is for --store kafka (the embedded log has one process)');
  if (f.ingress.includes('grpc') && (f.store !== 'sqlite' || f.peerUrl !== undefined || f.peer !== undefined)) bad('--ingress grpc compares dtx over gRPC and HTTP on the embedded log (no --store kafka, no peer)');
  if (f.peerUrl !== undefined && f.peer !== undefined) bad('--peer-url and --peer are exclusive');
  if (f.peerPid.length > 0 && f.peerUrl === undefined) bad('--peer-pid needs --peer-url');
  for (const pid of f.peerPid) if (!existsSync(`/proc/${pid}`)) bad(`--peer-pid: no process ${pid}`);
  if (f.peerUrl !== undefined && !/^http:\/\/[^/]+/.test(f.peerUrl)) bad('--peer-url must be an http:// URL');
  if (f.kafkaPort > 65534) bad('--kafka-port must be below 65535 (the controller listens on port+1)');
  return f;
}

