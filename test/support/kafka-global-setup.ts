import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TEST_KAFKA_BROKERS, TEST_KAFKA_EXTERNAL, TEST_KAFKA_PORT } from './kafka-broker.js';

/**
 * vitest globalSetup: starts the local Kafka broker (scripts/kafka-local.sh) when a selected test
 * file lives under test/kafka/, and stops it afterwards if (and only if) this setup started it.
 *
 * - DTX_TEST_KAFKA_BROKERS set: an external broker is used, nothing is started or stopped.
 * - DTX_TEST_KAFKA=1 starts the broker whatever files are selected (for Kafka tests elsewhere).
 * - The selected files come from vitest's state API (experimental); when it is unavailable the
 *   broker is started anyway (start is idempotent, a warm start takes a few seconds).
 * - A broker it starts has its data wiped first (`reset`): test topics never pile up across runs.
 * - KAFKA_VERSION, KAFKA_CACHE_DIR, ... pass through to the script (see its header).
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'kafka-local.sh');
const KAFKA_TEST_DIR = path.join(ROOT, 'test', 'kafka') + path.sep;

export default function setup(project?: TestProject): (() => void) | undefined {
  if (TEST_KAFKA_EXTERNAL) return undefined;
  if (!needsBroker(project)) return undefined;

  const wasRunning = script('status', 'ignore').status === 0;
  if (!wasRunning) {
    // A broker this setup starts begins empty: every test creates its own topics, and a data dir
    // that kept those of earlier runs (thousands of partitions) makes the broker load them all at
    // each start, answering "unknown topic" for new ones for many seconds on a busy machine.
    const reset = script('reset', 'inherit');
    if (reset.status !== 0) throw new Error(`scripts/kafka-local.sh reset failed (exit ${reset.status ?? reset.signal}); its messages are printed above`);
  }
  const started = script('start', 'inherit');
  if (started.error) {
    throw new Error(`could not run ${SCRIPT}: ${started.error.message}`);
  }
  if (started.status !== 0) {
    throw new Error(
      `scripts/kafka-local.sh start failed (exit ${started.status ?? started.signal}) for the Kafka tests on ${TEST_KAFKA_BROKERS}; ` +
        'its messages are printed above. Set DTX_TEST_KAFKA_BROKERS=host:port to use an external broker.',
    );
  }
  if (wasRunning) return undefined; // someone else's broker (another run, a developer): leave it running
  return () => {
    const stopped = script('stop', 'inherit');
    if (stopped.status !== 0) {
      throw new Error(`scripts/kafka-local.sh stop failed (exit ${stopped.status ?? stopped.signal})`);
    }
  };
}

function needsBroker(project: TestProject | undefined): boolean {
  if (process.env.DTX_TEST_KAFKA === '1') return true;
  // every file of kafka-compat runs on a Kafka worker (its DTX_TEST_KAFKA is the project's env, not this process's)
  if (project?.name === 'kafka-compat') return true;
  let selected: string[] | undefined;
  try {
    selected = project?.vitest.state.getPaths();
  } catch {
    selected = undefined;
  }
  if (!selected || selected.length === 0) return true;
  return selected.some((file) => path.resolve(ROOT, file).startsWith(KAFKA_TEST_DIR));
}

function script(command: 'start' | 'stop' | 'status' | 'reset', stderr: 'inherit' | 'ignore') {
  return spawnSync('bash', [SCRIPT, command], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_PORT: String(TEST_KAFKA_PORT) },
    // stdout carries only the KAFKA_BROKERS= line; stderr shows progress and failures.
    stdio: ['ignore', 'pipe', stderr],
    encoding: 'utf8',
    timeout: 10 * 60_000, // a cold start downloads the broker jars with Maven
  });
}
