/**
 * Kafka mode of the end-to-end benchmark (bench/main.ts --store kafka): the local broker
 * (scripts/kafka-local.sh on a bench port) and a cluster of dtx workers (Store.Driver kafka) on one
 * topic prefix. Partition ownership is read from the workers' JSON log lines: a worker owns `p`
 * once it logged "partition taken over" for `p` after an assignment that holds `p`, until an
 * assignment drops it or the worker dies. `/api/metrics` (dtx_partition_owned) is read as a
 * cross-check only.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDtx, type DtxUnderTest } from '../scripts/dtx-server-process.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/kafka-local.sh');
const run = promisify(execFile);

export interface Broker {
  readonly brokers: string;
  readonly pid: number | undefined;
  /** false when a broker was already running on the port (it is then left running) */
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

/** Starts (or reuses) the local single-node broker on `port`. */
export async function startBroker(port: number): Promise<Broker> {
  const env = { ...process.env, KAFKA_PORT: String(port) };
  let out: { stdout: string; stderr: string };
  try {
    out = await run('bash', [SCRIPT, 'start'], { env, timeout: 240_000 });
  } catch (err) {
    throw new Error(`scripts/kafka-local.sh start failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(out.stdout)?.[1];
  if (brokers === undefined) throw new Error(`scripts/kafka-local.sh printed no KAFKA_BROKERS: ${out.stderr}`);
  const pid = /\(pid (\d+)/.exec(out.stderr)?.[1];
  const startedHere = !out.stderr.includes('already running');
  return {
    brokers,
    pid: pid === undefined ? undefined : Number(pid),
    startedHere,
    async stop() {
      if (startedHere) await run('bash', [SCRIPT, 'stop'], { env, timeout: 60_000 });
    },
  };
}

export interface TakenOver {
  readonly partition: number;
  readonly transactions: number;
  /** events the recovered state stands for (snapshot-covered + folded) */
  readonly events: number;
  /** events folded through the machines (the tail after the snapshots) */
  readonly folded: number;
  readonly ms: number;
  /** log time, ms epoch */
  readonly time: number;
}

export interface KafkaWorker {
  readonly index: number;
  readonly dtx: DtxUnderTest;
  readonly startedAt: number;
  readonly assigned: Set<number>;
  readonly ready: Set<number>;
  readonly takeovers: TakenOver[];
  /** log times of its "partition assignment" lines */
  readonly assignments: number[];
  /** log time of "kafka event log opened" (the replica started copying just before) */
  logOpenedAt?: number;
  killedAt?: number;
}

export interface ClusterOptions {
  readonly brokers: string;
  readonly prefix: string;
  readonly partitions: number;
  readonly sessionTimeout: number;
  readonly syncCommit: boolean;
  readonly nodeArgs: string[];
}

export class KafkaWorkers {
  readonly workers: KafkaWorker[] = [];
  /** log time since which the live workers cover every partition exactly once; undefined while they do not */
  coveredSince: number | undefined;

  constructor(readonly o: ClusterOptions) {}

  /** Starts one more worker (an empty temp data dir unless `dataDir` is given); resolves once it listens. */
  async add(dataDir?: string): Promise<KafkaWorker> {
    const pending: string[] = [];
    const holder: { worker?: KafkaWorker } = {};
    const startedAt = Date.now();
    const dtx = await startDtx({
      syncCommit: this.o.syncCommit,
      nodeArgs: this.o.nodeArgs,
      env: {
        STORE_DRIVER: 'kafka',
        STORE_KAFKA_BROKERS: this.o.brokers,
        STORE_KAFKA_PREFIX: this.o.prefix,
        STORE_PARTITIONS: String(this.o.partitions),
        STORE_KAFKA_SESSION_TIMEOUT: String(this.o.sessionTimeout),
        INTERNAL_GRPC_PORT: '0',
      },
      ...(dataDir === undefined ? {} : { dataDir }),
      onLine: (line) => (holder.worker === undefined ? pending.push(line) : this.#line(holder.worker, line)),
    });
    const worker: KafkaWorker = { index: this.workers.length, dtx, startedAt, assigned: new Set(), ready: new Set(), takeovers: [], assignments: [] };
    holder.worker = worker;
    this.workers.push(worker);
    for (const line of pending.splice(0)) this.#line(worker, line);
    return worker;
  }

  live(): KafkaWorker[] {
    return this.workers.filter((w) => w.killedAt === undefined && w.dtx.exitInfo === undefined);
  }

  origins(): string[] {
    return this.live().map((w) => w.dtx.origin);
  }

  /** SIGKILL: no goodbye to the group, the session timeout has to expire. Returns the kill time. */
  kill(w: KafkaWorker): number {
    w.killedAt = Date.now();
    process.kill(w.dtx.pid, 'SIGKILL');
    this.#check(w.killedAt);
    return w.killedAt;
  }

  /**
   * Waits until the live workers cover every partition exactly once, each live worker holds an
   * assignment, and that held for `stableMs`. Resolves with the log time coverage began.
   */
  async waitCovered(timeoutMs: number, stableMs = 500): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.#check(Date.now());
      const live = this.live();
      const since = this.coveredSince;
      if (since !== undefined && live.every((w) => w.assignments.length > 0) && Date.now() - since >= stableMs) return since;
      if (live.length === 0) throw new Error('no live worker left');
      if (Date.now() > deadline) {
        const state = live.map((w) => `worker ${w.index}: assigned [${[...w.assigned].join(',')}] ready [${[...w.ready].join(',')}]`).join('; ');
        throw new Error(`partitions not all owned after ${timeoutMs} ms (${state})`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.dtx.stop()));
  }

  #line(w: KafkaWorker, line: string): void {
    let j: { msg?: string; time?: number; owned?: number[]; partition?: number; transactions?: number; events?: number; folded?: number; ms?: number };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      return;
    }
    const time = j.time ?? Date.now();
    if (j.msg === 'kafka event log opened') w.logOpenedAt = time;
    else if (j.msg === 'partition assignment' && Array.isArray(j.owned)) {
      w.assignments.push(time);
      w.assigned.clear();
      for (const p of j.owned) w.assigned.add(p);
      for (const p of [...w.ready]) if (!w.assigned.has(p)) w.ready.delete(p);
    } else if (j.msg === 'partition taken over' && typeof j.partition === 'number') {
      w.takeovers.push({ partition: j.partition, transactions: j.transactions ?? 0, events: j.events ?? 0, folded: j.folded ?? j.events ?? 0, ms: j.ms ?? 0, time });
      if (w.assigned.has(j.partition)) w.ready.add(j.partition);
    } else return;
    this.#check(time);
  }

  #check(time: number): void {
    const ready = this.live().flatMap((w) => [...w.ready]);
    const covered = ready.length === this.o.partitions && new Set(ready).size === this.o.partitions;
    if (!covered) this.coveredSince = undefined;
    else this.coveredSince ??= time;
  }
}

/** Partitions each worker reports on /api/metrics: dtx_partitions_owned and the dtx_partition_owned{partition} set. */
export async function metricsOwnership(origin: string): Promise<{ count: number; partitions: number[] } | string> {
  try {
    const text = await (await fetch(`${origin}/api/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const count = Number(/^dtx_partitions_owned (\d+)/m.exec(text)?.[1] ?? NaN);
    const partitions = [...text.matchAll(/^dtx_partition_owned\{partition="(\d+)"\} 1$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    return { count, partitions };
  } catch (err) {
    return `metrics unreadable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** One line on who owns what, by log lines and by metrics, e.g. "log 6+5+5, metrics 6+5+5 = 16". */
export async function ownershipNote(c: KafkaWorkers): Promise<string> {
  const live = c.live();
  const byLog = live.map((w) => w.ready.size);
  const byMetrics = await Promise.all(live.map((w) => metricsOwnership(w.dtx.origin)));
  const m = byMetrics.map((x) => (typeof x === 'string' ? x : `${x.count}`));
  const sum = byMetrics.reduce((a, x) => a + (typeof x === 'string' ? 0 : x.count), 0);
  return `partitions owned per worker: by log ${byLog.join('+')} = ${byLog.reduce((a, b) => a + b, 0)}, by dtx_partitions_owned ${m.join('+')} = ${sum}`;
}
