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
import { createInterface } from 'node:readline';

const CLI = path.resolve(import.meta.dirname, '../src/cli.js');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** Every dtx still alive, killed if the program exits early (Ctrl-C, crash). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface DtxUnderTest {
  readonly pid: number;
  readonly origin: string;
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

export async function startDtx(opts: DtxOptions): Promise<DtxUnderTest> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dtx-server-'));
  const proc = spawn(process.execPath, [...opts.nodeArgs, CLI, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
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
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const handle: DtxUnderTest = {
    pid: proc.pid ?? 0,
    origin: '',
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
  const port = await new Promise<number>((resolve, reject) => {
    const startLog: string[] = [];
    const timer = setTimeout(() => reject(new Error(`dtx did not start within 20 s:\n${startLog.join('\n')}`)), START_TIMEOUT_MS);
    createInterface({ input: proc.stderr! }).on('line', (line) => {
      opts.onLine?.(line);
      if (startLog.length < 200) startLog.push(line);
      handle.tail.push(line);
      if (handle.tail.length > 30) handle.tail.shift();
      if (line.includes('"dtx listening"')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { httpPort: number }).httpPort);
        return;
      }
      if (isProblem(line) && problems.length < 200) problems.push(line);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`dtx exited (${handle.exitInfo}) before listening:\n${startLog.join('\n')}`));
    });
  });
  return Object.assign(handle, { origin: `http://127.0.0.1:${port}` });
}

function isProblem(line: string): boolean {
  try {
    return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 40;
  } catch {
    return line.trim() !== '';
  }
}
