/**
 * The loopback branch service of the `http` workload (bench/branch-server.ts) in its own process,
 * forked once per benchmark, so branch calls never share the load generator's event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BRANCH_ENTRY = path.resolve(import.meta.dirname, 'branch-server.js');
const START_TIMEOUT_MS = 20_000;

/** Every child still alive, killed if the benchmark exits early (Ctrl-C, crash). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface BranchService {
  readonly origin: string;
  readonly pid: number;
  /** Calls it answered so far (asked over IPC). */
  calls(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks bench/branch-server.js; it answers every request `200 {"dtm_result":"SUCCESS"}`. */
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
