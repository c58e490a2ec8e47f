import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Internal, LogUnavailable } from '../../errors.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import { WRITER_YOUNG_GENERATION_MIB } from '../../heap-policy.js';
import type { CheckpointResult } from './hybrid-appender.js';

/**
 * Main-thread side of the background writer (sqlite-append-worker.ts): appends resolve when the
 * worker's commit is durable. If the worker dies, or answers that the database file could not be
 * made durable (`fatal`), every pending and later append fails with LogUnavailable (the engine
 * answers 503 and keeps its state as before the batch) and `failure` resolves: the process stops,
 * and a restart opens the log again (serve-command.ts).
 */
export class WorkerAppender {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: CheckpointResult | undefined) => void; reject: (e: Error) => void; commit: boolean }>();
  #seq = 0;
  /** commits sent and not answered */
  #commits = 0;
  #broken: LogUnavailable | undefined;
  #exited = false;
  #closing = false;
  #reportFailure: (err: LogUnavailable) => void = () => undefined;
  /** Resolves with the error once the writer thread died or reported a fatal error (not when `close` stopped it). */
  readonly failure = new Promise<LogUnavailable>((resolve) => (this.#reportFailure = resolve));

  /** `entry`: the writer's script (sqlite-append-worker.ts; tests pass one of their own). */
  constructor(file: string, syncCommit: boolean, entry: URL = workerEntry()) {
    this.#worker = new Worker(entry, { workerData: { file, syncCommit }, resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MIB } });
    this.#worker.on('message', (m: { id: number; checkpoint?: CheckpointResult; error?: { code: string; message: string; fatal?: true } }) => {
      if (m.error?.fatal === true) return fail(m.error.message);
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (p.commit) this.#commits -= 1;
      if (m.error === undefined) p.resolve(m.checkpoint);
      else p.reject(m.error.code === 'DTX_INTERNAL' ? new Internal(m.error.message) : new LogUnavailable(m.error.message));
    });
    const fail = (why: string) => {
      this.#broken ??= new LogUnavailable(`event log writer stopped: ${why}`);
      for (const p of this.#pending.values()) p.reject(this.#broken);
      this.#pending.clear();
      this.#commits = 0;
      if (!this.#closing) this.#reportFailure(this.#broken);
    };
    this.#worker.on('error', (err) => fail(err.message));
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      fail(`exit code ${code}`);
    });
  }

  /**
   * No commit of the writer is pending, so its connection holds no write lock and will not take
   * one before the next message: a passive checkpoint (all the writer checkpoints) takes none.
   */
  get idle(): boolean {
    return this.#commits === 0 && this.#broken === undefined;
  }

  /** A checkpoint is pending: the writer's thread is copying the WAL, and a commit sent now waits for it. */
  get checkpointing(): boolean {
    return this.#pending.size > this.#commits;
  }

  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    return new Promise((resolve, reject) => this.#send({ records, summaries }, () => resolve(), reject));
  }

  /** A passive WAL checkpoint on the writer's thread. */
  checkpoint(): Promise<CheckpointResult> {
    return new Promise((resolve, reject) => this.#send({ checkpoint: true }, (r) => resolve(r ?? { frames: 0, complete: true }), reject));
  }

  #send(msg: { records: readonly LogRecord[]; summaries: readonly TransSummary[] } | { checkpoint: true }, resolve: (r: CheckpointResult | undefined) => void, reject: (e: Error) => void): void {
    if (this.#broken) return reject(this.#broken);
    const id = ++this.#seq;
    const commit = !('checkpoint' in msg);
    this.#pending.set(id, { resolve, reject, commit });
    if (commit) this.#commits += 1;
    this.#worker.postMessage({ id, ...msg });
  }

  /** Stops the writer thread (also one that refuses everything after a fatal error). */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.#closing = true;
    const exited = new Promise<void>((r) => this.#worker.once('exit', () => r()));
    this.#worker.postMessage({ close: true });
    await exited;
  }
}

/** The compiled worker next to this file; from TypeScript sources (vitest) the build's copy. */
function workerEntry(): URL {
  const here = new URL('./sqlite-append-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../../dist/src/log/sqlite/sqlite-append-worker.js', import.meta.url);
}
