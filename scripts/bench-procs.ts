/**
 * Child processes of the end-to-end benchmark (scripts/bench.ts): the dtx server under test, its
 * RSS sampler, and the loopback branch service (scripts/bench-branch.ts) in its own process so it
 * never shares the load generator's event loop. Logic follows test/support/dtx-process.ts, which
 * scripts may not import.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const CLI = path.resolve(import.meta.dirname, '../src/cli.js');
const BRANCH_ENTRY = path.resolve(import.meta.dirname, 'bench-branch.js');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** Every child still alive, killed if the benchmark exits early (Ctrl-C, crash). */
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
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dtx-bench-'));
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

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) a process used so far, from /proc/<pid>/stat (clock ticks, 100 Hz
 * on Linux), or undefined once it is gone.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores, /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return (total - (f[3] ?? 0) - (f[4] ?? 0)) / 100;
  } catch {
    return 0;
  }
}

/** Samples RSS every `everyMs` until `stop()`, which returns the peak seen (including one last read). */
export function sampleRss(pid: number, everyMs = 500): { stop(): number } {
  let peak = rssMiB(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid) ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMiB(pid) ?? 0);
    },
  };
}

export interface BranchService {
  readonly origin: string;
  readonly pid: number;
  /** Calls it answered so far (asked over IPC). */
  calls(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks scripts/bench-branch.js; it answers every request `200 {"dtm_result":"SUCCESS"}`. */
export async function startBranchService(maxLifetimeSeconds: number): Promise<BranchService> {
  const child = fork(BRANCH_ENTRY, [String(maxLifetimeSeconds)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('branch service did not start within 20 s')), START_TIMEOUT_MS);
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    void exited.then(() => reject(new Error('branch service exited before listening')));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    calls: () =>
      new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(-1), 2_000);
        child.once('message', (m: { calls: number }) => {
          clearTimeout(timer);
          resolve(m.calls);
        });
        child.send('calls');
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      live.delete(child);
    },
  };
}
