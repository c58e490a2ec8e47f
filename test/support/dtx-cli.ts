import { execFile } from 'node:child_process';
import path from 'node:path';

/** The built `dtx` binary the integration tests run. */
export const DTX_CLI = path.resolve(import.meta.dirname, '../../dist/src/cli.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real binary with a clean environment: PATH and `env` only (no AUTH_TOKENS, no STORE_DATA_DIR unless given). */
export function runDtx(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DTX_CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}
