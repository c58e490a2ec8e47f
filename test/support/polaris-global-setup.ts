import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * vitest globalSetup of the `drivers` project: when a selected file is a Polaris test
 * (test/drivers/polaris-*.test.ts), starts the local Polaris server (scripts/polaris-local.sh,
 * built once from its Go module, so Go is needed on the first run) on the test port, and stops it
 * afterwards if this setup started it. DTX_TEST_POLARIS=host:port uses an external server.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'polaris-local.sh');
/** HTTP API port of the test Polaris server (its client gRPC port is the next one). */
export const TEST_POLARIS_PORT = 28090;

export default function setup(project?: TestProject): (() => void) | undefined {
  if (process.env.DTX_TEST_POLARIS !== undefined && process.env.DTX_TEST_POLARIS !== '') return undefined;
  if (!needsPolaris(project)) return undefined;
  const wasRunning = script('status', 'ignore').status === 0;
  const started = script('start', 'inherit');
  if (started.error) throw new Error(`could not run ${SCRIPT}: ${started.error.message}`);
  if (started.status !== 0) {
    throw new Error(
      `scripts/polaris-local.sh start failed (exit ${started.status ?? started.signal}) for the Polaris tests on 127.0.0.1:${TEST_POLARIS_PORT}; ` +
        'its messages are printed above (the first start builds polaris-server with Go). Set DTX_TEST_POLARIS=host:port to use an external server.',
    );
  }
  if (wasRunning) return undefined;
  return () => {
    const stopped = script('stop', 'inherit');
    if (stopped.status !== 0) throw new Error(`scripts/polaris-local.sh stop failed (exit ${stopped.status ?? stopped.signal})`);
  };
}

function needsPolaris(project: TestProject | undefined): boolean {
  let selected: string[] | undefined;
  try {
    selected = project?.vitest.state.getPaths();
  } catch {
    selected = undefined;
  }
  if (!selected || selected.length === 0) return true;
  return selected.some((file) => /[\\/]test[\\/]drivers[\\/]polaris-[^\\/]*\.test\.ts$/.test(path.resolve(ROOT, file)));
}

function script(command: 'start' | 'stop' | 'status', stderr: 'inherit' | 'ignore') {
  return spawnSync('bash', [SCRIPT, command], {
    cwd: ROOT,
    env: { ...process.env, POLARIS_HTTP_PORT: String(TEST_POLARIS_PORT) },
    stdio: ['ignore', 'pipe', stderr],
    encoding: 'utf8',
    timeout: 15 * 60_000, // a cold start downloads and builds polaris-server
  });
}
