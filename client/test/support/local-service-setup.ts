import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The repository root (scripts/ lives there). */
export const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Starts a project script's private server (`scripts/<name>.sh start`) for a vitest globalSetup and
 * returns the teardown that stops it, or undefined when it was running already (someone else's:
 * another run, a developer) and must be left alone. Throws with the script's exit status and how
 * to use an external server instead.
 */
export function startLocalService(script: string, env: Record<string, string>, externalHint: string, timeoutMs = 5 * 60_000): (() => void) | undefined {
  const file = path.join(ROOT, 'scripts', script);
  const run = (command: 'start' | 'stop' | 'status', stderr: 'inherit' | 'ignore') =>
    spawnSync('bash', [file, command], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr], encoding: 'utf8', timeout: timeoutMs });
  const wasRunning = run('status', 'ignore').status === 0;
  const started = run('start', 'inherit');
  if (started.error) throw new Error(`could not run scripts/${script}: ${started.error.message}`);
  if (started.status !== 0) {
    throw new Error(`scripts/${script} start failed (exit ${started.status ?? started.signal}); its messages are printed above (it installs the server with apt-get when missing). ${externalHint}`);
  }
  if (wasRunning) return undefined;
  return () => {
    const stopped = run('stop', 'inherit');
    if (stopped.status !== 0) throw new Error(`scripts/${script} stop failed (exit ${stopped.status ?? stopped.signal})`);
  };
}
