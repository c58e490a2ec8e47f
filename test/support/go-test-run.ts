import { spawn } from 'node:child_process';

/** What `go test` printed and how it ended. */
export interface GoRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

export interface GoTestOptions {
  /** the Go module whose tests run (`./...`) */
  readonly dir: string;
  /** `go test -timeout`: bounds the test binary (a hung test dumps its goroutines) */
  readonly goTimeout: string;
  /** kills the whole process group after this long (also covers module downloads and builds) */
  readonly killAfterMs: number;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** appended to the error when `go` cannot be started */
  readonly installHint: string;
}

/**
 * Runs `go test -count=1 -v` in its own process group, so the kill also ends the compiled test
 * binary and any service it started; stdout and stderr are collected together.
 */
export function runGoTest(o: GoTestOptions): Promise<GoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['test', '-count=1', '-v', `-timeout=${o.goTimeout}`, ...(o.args ?? []), './...'], {
      cwd: o.dir,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), o.killAfterMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run go test: ${err.message}. ${o.installHint}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}
