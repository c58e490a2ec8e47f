import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * vitest globalSetup of the `drivers` project: starts the local etcd (scripts/etcd-local.sh) on
 * the test port and stops it afterwards if (and only if) this setup started it.
 * DTX_TEST_ETCD_ENDPOINTS=host:port uses an external etcd instead (nothing started or stopped).
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'etcd-local.sh');
/** Port of the test etcd (its peer port is the next one); not etcd's default, so a developer's etcd is left alone. */
export const TEST_ETCD_PORT = 22379;

export default function setup(): (() => void) | undefined {
  if (process.env.DTX_TEST_ETCD_ENDPOINTS !== undefined && process.env.DTX_TEST_ETCD_ENDPOINTS !== '') return undefined;
  const wasRunning = script('status', 'ignore').status === 0;
  const started = script('start', 'inherit');
  if (started.error) throw new Error(`could not run ${SCRIPT}: ${started.error.message}`);
  if (started.status !== 0) {
    throw new Error(
      `scripts/etcd-local.sh start failed (exit ${started.status ?? started.signal}) for the driver tests on 127.0.0.1:${TEST_ETCD_PORT}; ` +
        'its messages are printed above (it installs etcd-server with apt-get when etcd is missing). ' +
        'Set DTX_TEST_ETCD_ENDPOINTS=host:port to use an external etcd.',
    );
  }
  if (wasRunning) return undefined; // someone else's etcd (another run, a developer): leave it running
  return () => {
    const stopped = script('stop', 'inherit');
    if (stopped.status !== 0) throw new Error(`scripts/etcd-local.sh stop failed (exit ${stopped.status ?? stopped.signal})`);
  };
}

function script(command: 'start' | 'stop' | 'status', stderr: 'inherit' | 'ignore') {
  return spawnSync('bash', [SCRIPT, command], {
    cwd: ROOT,
    env: { ...process.env, ETCD_PORT: String(TEST_ETCD_PORT) },
    stdio: ['ignore', 'pipe', stderr],
    encoding: 'utf8',
    timeout: 5 * 60_000, // a first start may install etcd-server with apt-get
  });
}
