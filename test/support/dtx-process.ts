import { createHash } from 'node:crypto';
import { TEST_KAFKA_BROKERS } from './kafka-broker.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { tempDir } from './temp-dir.js';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { SERVE_NODE_FLAGS } from '../../src/heap-policy.js';

/** Starts the real `dtx serve` process (compiled by `pretest`) on a random port and temp data dir. */
export interface DtxProcess {
  readonly port: number;
  /** The gRPC ingress port (`GRPC_PORT=0` unless the test sets it), read from the 'dtx listening' line. */
  readonly grpcPort: number;
  /** `http://127.0.0.1:<port>/api/dtmsvr` */
  readonly api: string;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  readonly logs: string[];
  /** Resolves with the exit code / signal once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const CLI = path.resolve(import.meta.dirname, '../../dist/src/cli.js');

export { tempDir };

/**
 * DTX_TEST_STORE=kafka (set by the `kafka-compat` vitest project) runs the same integration suites
 * on a Kafka worker: one engine, two logs. The topic prefix follows the data dir, so a restart on
 * the same dir finds the same log.
 */
function storeEnv(dataDir: string, env: Record<string, string> | undefined): Record<string, string> {
  if (process.env.DTX_TEST_STORE !== 'kafka' || env?.STORE_DRIVER !== undefined) return {};
  return {
    STORE_DRIVER: 'kafka',
    STORE_KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    STORE_KAFKA_PREFIX: `compat-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`,
    STORE_PARTITIONS: '4',
    STORE_KAFKA_SESSION_TIMEOUT: '6',
    INTERNAL_GRPC_PORT: '0',
  };
}

/** A dtx of its own: any free ports on 127.0.0.1, its own data dir, nothing inherited but PATH. */
function localServeEnv(dataDir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HTTP_PORT: '0', GRPC_PORT: '0', HTTP_HOST: '127.0.0.1', STORE_DATA_DIR: dataDir };
}

export async function startDtx(opts: { dataDir?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<DtxProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const env: Record<string, string> = {
    ...localServeEnv(dataDir),
    LOG_LEVEL: 'info',
    ...storeEnv(dataDir, opts.env),
    ...opts.env,
  };
  // A Kafka worker listens only after joining the worker group, which waits for the other members
  // to rejoin (up to their heartbeat interval): on a busy machine that takes more than 20 s.
  const startTimeoutMs = 60_000; // generous: a dtx start on a loaded 2-core machine has taken 20 s
  const proc = spawn(process.execPath, [...SERVE_NODE_FLAGS, CLI, 'serve', ...(opts.args ?? [])], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const { port, grpcPort } = await new Promise<{ port: number; grpcPort: number }>((resolve, reject) => {
    const rl = createInterface({ input: proc.stderr! });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // never leave an orphan behind a failed start
      reject(new Error(`dtx did not start within ${startTimeoutMs / 1000} s:\n${logs.join('\n')}`));
    }, startTimeoutMs);
    rl.on('line', (line) => {
      logs.push(line);
      if (logs.length > 5000) logs.splice(0, 1000);
      if (line.includes('"dtx listening"')) {
        clearTimeout(timer);
        const listening = JSON.parse(line) as { httpPort: number; grpcPort: number };
        resolve({ port: listening.httpPort, grpcPort: listening.grpcPort });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`dtx exited with code ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return {
    port,
    grpcPort,
    api: `http://127.0.0.1:${port}/api/dtmsvr`,
    dataDir,
    proc,
    logs,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/**
 * Runs `dtx serve` expecting it to exit on its own: its exit code and stderr. Both ports are 0 and
 * the host 127.0.0.1 unless `env` sets them: dtx's default gRPC port 36790 lies in the kernel's
 * ephemeral range, so another process may hold it. After `timeoutMs` it is ended (SIGTERM, which
 * it answers with exit 1 and no start-up line): give more to starts that retry brokers (kafkajs's
 * retries, each request up to 30 s, outlast a minute on a busy machine).
 */
export async function serveExpectingFailure(env: Record<string, string>, args: string[] = [], timeoutMs = 60_000): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [CLI, 'serve', ...args], { env: { ...localServeEnv(tempDir()), ...env }, timeout: timeoutMs });
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error('dtx serve was expected to exit with an error');
}
