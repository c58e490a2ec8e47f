import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TEST_KAFKA_PORT } from './kafka-broker.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/kafka-local.sh');
const run = promisify(execFile);

/**
 * A one-node broker of a test's own (scripts/kafka-local.sh on TEST_KAFKA_PORT + `offset`), for a
 * test that kills, fills or restarts it: the shared test broker serves every other Kafka test.
 * `env` reaches the script (e.g. KAFKA_DATA_DIR for its log.dirs on a disk of their own).
 */
export class OwnKafkaBroker {
  readonly port: number;
  readonly brokers: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #runDir: string;

  constructor(offset: number, env: Record<string, string> = {}) {
    this.port = TEST_KAFKA_PORT + offset;
    this.brokers = `127.0.0.1:${this.port}`;
    // the run dir (pid file, logs) is named to the script rather than derived again from its
    // defaults: a KAFKA_CACHE_DIR in the environment would move the script's and not this one
    this.#runDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'dtx-kafka', `run-${this.port}`);
    this.#env = { ...process.env, KAFKA_PORT: String(this.port), KAFKA_RUN_DIR: this.#runDir, ...env };
  }

  /** Starts it (a running one is reused) and waits until it answers; what the script printed (its `NAME=value` lines). */
  start(): Promise<string> {
    return this.#script('start');
  }

  /** TERM, KILL after 30 s; nothing when it is not running. */
  async stop(): Promise<void> {
    await this.#script('stop');
  }

  /** Stops it and wipes its data and logs. */
  async reset(): Promise<void> {
    await this.#script('reset');
  }

  /** True when its process runs and answers client requests. */
  answers(): Promise<boolean> {
    return run('bash', [SCRIPT, 'status'], { env: this.#env, timeout: 60_000 }).then(() => true, () => false);
  }

  /** Its process id (the script's pid file), e.g. to SIGKILL it. */
  pid(): number {
    return Number(readFileSync(path.join(this.#runDir, 'kafka.pid'), 'utf8').trim());
  }

  /** What it has logged (its server.log, kept off its data dir). */
  serverLog(): string {
    return readFileSync(path.join(this.#runDir, 'logs', 'server.log'), 'utf8');
  }

  async #script(command: 'start' | 'stop' | 'reset'): Promise<string> {
    try {
      // a cold start fetches the broker jars with Maven
      return (await run('bash', [SCRIPT, command], { env: this.#env, timeout: 10 * 60_000 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`scripts/kafka-local.sh ${command} (broker on ${this.port}) failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  }
}
