import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Internal, LogUnavailable } from '../../errors.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import { WRITER_YOUNG_GENERATION_MIB } from '../../heap-policy.js';

/**
 * Main-thread side of the background writer (sqlite-append-worker.ts): appends resolve when the
 * worker's commit is durable. If the worker dies, every pending and later append fails with
 * LogUnavailable (the engine answers 503 and keeps its state as before the batch).
 */
export class WorkerAppender {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #seq = 0;
  #broken: Error | undefined;

  constructor(file: string, syncCommit: boolean) {
    this.#worker = new Worker(workerEntry(), { workerData: { file, syncCommit }, resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MIB } });
    this.#worker.on('message', (m: { id: number; error?: { code: string; message: string } }) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.error === undefined) p.resolve();
      else p.reject(m.error.code === 'DTX_INTERNAL' ? new Internal(m.error.message) : new LogUnavailable(m.error.message));
    });
    const fail = (why: string) => {
      this.#broken ??= new LogUnavailable(`event log writer stopped: ${why}`);
      for (const p of this.#pending.values()) p.reject(this.#broken);
      this.#pending.clear();
    };
    this.#worker.on('error', (err) => fail(err.message));
    this.#worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  /** No commit or checkpoint of the writer is pending: its connection holds no lock. */
  get idle(): boolean {
    return this.#pending.size === 0 && this.#broken === undefined;
  }

  append(records: readonly LogRecord[], summaries: readonly TransSummary[]): Promise<void> {
    return this.#send({ records, summaries });
  }

  /** A passive WAL checkpoint on the writer's thread, for commits made on another connection. */
  checkpoint(): Promise<void> {
    return this.#send({ checkpoint: true });
  }

  #send(msg: { records: readonly LogRecord[]; summaries: readonly TransSummary[] } | { checkpoint: true }): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...msg });
    });
  }

  async close(): Promise<void> {
    if (this.#broken) return;
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
