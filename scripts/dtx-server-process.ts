/**
 * Starts the real `dtx serve` (dist/src/cli.js) as a child process on 127.0.0.1 and a random port,
 * for the programs that drive a real server: the benchmarks (bench/) and
 * scripts/record-golden-logs.ts. Logic follows test/support/dtx-process.ts, which these programs may
 * not import (no program imports test code).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { SERVE_NODE_FLAGS } from '../src/heap-policy.js';

const CLI = path.resolve(import.meta.dirname, '../src/cli.js');
const START_TIMEOUT_MS = 60_000;
const LOUD_LEVELS = new Set(['trace', 'debug', 'info']);
const STOP_TIMEOUT_MS = 10_000;

/** Every dtx still alive, killed if the program exits early (Ctrl-C, crash). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface DtxUnderTest {
  readonly pid: number;
  readonly origin: string;
  /** host:port of dtx's gRPC ingress (GrpcPort). */
  readonly grpcAddress: string;
  readonly dataDir: string;
  /** Lines dtx wrote to stderr at level warn (40) or above, plus any non-JSON line. */
  readonly problems: string[];
  /** The last 30 stderr lines (any level), to explain an unexpected exit. */
  readonly tail: string[];
  /** Set once dtx exited (crash or stop), with the wall-clock time. */
  exitInfo: string | undefined;
  stop(): Promise<void>;
}

export interface DtxOptions {
  readonly syncCommit: boolean;
  readonly nodeArgs: string[];
  readonly env?: Record<string, string>;
  /** Sees every stderr line (JSON log lines), from the first one on. */
  readonly onLine?: (line: string) => void;
  /** Use this data dir and keep it on stop (the caller deletes it); default: a new temp dir, deleted on stop. */
  readonly dataDir?: string;
}

/** Starts when the ports picked here were taken before dtx bound them (see `startOnce`). */
const PORT_ATTEMPTS = 3;

/** dtx could not bind a port picked here: another socket took it after `freePort` let it go. */
class PortTaken extends Error {}

export async function startDtx(opts: DtxOptions): Promise<DtxUnderTest> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === PORT_ATTEMPTS) throw err;
    }
  }
}

/**
 * With `env.LOG_LEVEL` above info (e.g. warn, as the benchmark runs dtm) dtx does not log
 * "dtx listening": the ports are then picked here (free loopback ports, in the range the OS also
 * gives outgoing connections, so one may take a port before dtx binds it: then `PortTaken`, the
 * data dir made here removed) and `/api/ping` awaited.
 */
async function startOnce(opts: DtxOptions): Promise<DtxUnderTest> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dtx-server-'));
  const quiet = !LOUD_LEVELS.has(opts.env?.LOG_LEVEL ?? 'info');
  const picked = quiet ? { httpPort: await freePort(), grpcPort: await freePort() } : undefined;
  const proc = spawn(process.execPath, [...SERVE_NODE_FLAGS, ...opts.nodeArgs, CLI, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: String(picked?.httpPort ?? 0),
      GRPC_PORT: String(picked?.grpcPort ?? 0),
      HTTP_HOST: '127.0.0.1',
      STORE_DATA_DIR: dataDir,
      STORE_SYNC_COMMIT: String(opts.syncCommit),
      LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(proc);
  const problems: string[] = [];
  // 'close': exited and its stderr read to the end (the reason a start failed is its last lines)
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const handle: DtxUnderTest = {
    pid: proc.pid ?? 0,
    origin: '',
    grpcAddress: '',
    dataDir,
    problems,
    tail: [],
    exitInfo: undefined,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      live.delete(proc);
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  proc.once('exit', (code, signal) => {
    handle.exitInfo = `exit code ${code ?? '-'} signal ${signal ?? '-'} at ${new Date().toISOString()}`;
  });
  const ports = await new Promise<{ httpPort: number; grpcPort: number }>((resolve, reject) => {
    const startLog: string[] = [];
    const timer = setTimeout(() => reject(new Error(`dtx did not start within ${START_TIMEOUT_MS / 1000} s:\n${startLog.join('\n')}`)), START_TIMEOUT_MS);
    if (picked !== undefined) void untilPing(picked.httpPort, () => handle.exitInfo === undefined, START_TIMEOUT_MS).then((up) => up && (clearTimeout(timer), resolve(picked)));
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      opts.onLine?.(line);
      if (startLog.length < 200) startLog.push(line);
      handle.tail.push(line);
      if (handle.tail.length > 30) handle.tail.shift();
      if (line.includes('"dtx listening"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { httpPort: number; grpcPort: number });
        return;
      }
      if (isProblem(line) && problems.length < 200) problems.push(line);
    });
    void exited.then(() => {
      clearTimeout(timer);
      const message = `dtx exited (${handle.exitInfo}) before listening:\n${startLog.join('\n')}`;
      if (picked === undefined || !startLog.some((l) => l.includes('already in use'))) return reject(new Error(message));
      live.delete(proc);
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      reject(new PortTaken(message));
    });
  });
  return Object.assign(handle, { origin: `http://127.0.0.1:${ports.httpPort}`, grpcAddress: `127.0.0.1:${ports.grpcPort}` });
}

function isProblem(line: string): boolean {
  try {
    return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 40;
  } catch {
    return line.trim() !== '';
  }
}

/** A loopback port free right now (the OS picks it; a race with other programs is possible). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls GET /api/ping until it answers 200 (true), the process is gone or the time is up (false). */
async function untilPing(port: number, alive: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive() && Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/ping`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
