import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * vitest globalSetup of the `core` project: starts the private PostgreSQL cluster
 * (scripts/postgres-local.sh) the Go SDK's branch-barrier interop tests use, and stops it afterwards
 * if (and only if) this setup started it. DTX_TEST_PG=host:port (user dtx, database dtx_test, trust
 * auth) uses an external server instead: nothing is started or stopped.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'postgres-local.sh');
/** Port of the test cluster; not PostgreSQL's 5432, so a developer's server is left alone. */
export const TEST_PG_PORT = 25432;
/** `host:port` of the PostgreSQL the tests use. */
export const TEST_PG = process.env.DTX_TEST_PG !== undefined && process.env.DTX_TEST_PG !== '' ? process.env.DTX_TEST_PG : `127.0.0.1:${TEST_PG_PORT}`;

export default function setup(): (() => void) | undefined {
  if (process.env.DTX_TEST_PG !== undefined && process.env.DTX_TEST_PG !== '') return undefined;
  const wasRunning = script('status', 'ignore').status === 0;
  const started = script('start', 'inherit');
  if (started.error) throw new Error(`could not run ${SCRIPT}: ${started.error.message}`);
  if (started.status !== 0) {
    throw new Error(
      `scripts/postgres-local.sh start failed (exit ${started.status ?? started.signal}) for the branch-barrier interop tests on ${TEST_PG}; ` +
        'its messages are printed above (it installs postgresql with apt-get when initdb/pg_ctl are missing). ' +
        'Set DTX_TEST_PG=host:port to use an external PostgreSQL (user dtx, database dtx_test).',
    );
  }
  if (wasRunning) return undefined; // someone else's cluster (another run, a developer): leave it running
  return () => {
    const stopped = script('stop', 'inherit');
    if (stopped.status !== 0) throw new Error(`scripts/postgres-local.sh stop failed (exit ${stopped.status ?? stopped.signal})`);
  };
}

function script(command: 'start' | 'stop' | 'status', stderr: 'inherit' | 'ignore') {
  return spawnSync('bash', [SCRIPT, command], {
    cwd: ROOT,
    env: { ...process.env, PG_PORT: String(TEST_PG_PORT) },
    stdio: ['ignore', 'pipe', stderr],
    encoding: 'utf8',
    timeout: 5 * 60_000, // a first start may install postgresql with apt-get
  });
}
