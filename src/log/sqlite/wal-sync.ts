import fs from 'node:fs';
import path from 'node:path';
import { LogUnavailable } from '../../errors.js';

/** `fs.fdatasync` with a callback, injectable for tests. */
export type Fdatasync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/**
 * fdatasyncs of the WAL running at once. The one started later covers every commit the earlier
 * one covers, so a commit made while one runs need not wait for it to start its own: with two,
 * empty sagas at c=10 ran 6,800-8,000/s against 6,000-6,800 with one; four were no faster
 * (docs/benchmarks.md, "Inline commits, fsynced off the main thread").
 */
export const MAX_SYNCS = 2;

/**
 * The fsync of commits made on the main thread's connection, off the main thread. That
 * connection commits with `synchronous = NORMAL` (its commit writes the WAL, no fsync); each
 * commit then asks `durable()`, which resolves once an `fdatasync` of the WAL file that started
 * after the commit has returned, on libuv's thread pool. An fdatasync covers every commit made
 * before it started: commits made while MAX_SYNCS run share the next one. Linux flushes a file's
 * dirty pages whichever descriptor wrote them, so the descriptor opened here on the WAL covers the
 * connection's writes.
 *
 * The thread pool is shared with the branch calls' DNS lookups (`dns.lookup`), but libuv runs
 * such slow work (getaddrinfo) on at most half of its threads (2 of the default 4), so lookups
 * that hang on a dead name server cannot take the threads these fdatasyncs need.
 *
 * Until then a commit is visible to the connection's readers: the log's reads wait for
 * `settled()` before they answer (sqlite-event-log.ts), so no reader learns of a commit that is
 * not durable. A failed fdatasync leaves the WAL's pages in an unknown state (Linux may drop
 * them): every waiting and later commit fails with LogUnavailable, as after a failed sync of the database,
 * and so does every waiting and later read, which could otherwise answer a commit that failed.
 * Retrying the fdatasync cannot tell what reached the disk, so `failure` resolves and the process
 * stops (serve-command.ts): a restart recovers from what is durable.
 */
export class WalSync {
  #fd: number | undefined;
  /** commits asked to be made durable, covered by an fdatasync started, and durable */
  #asked = 0;
  #started = 0;
  #durable = 0;
  #running = 0;
  /** close() waiting for the fdatasyncs running to return */
  #stopped: (() => void) | undefined;
  #waiters: Array<{ readonly seq: number; readonly resolve: () => void; readonly reject: (e: Error) => void }> = [];
  #broken: LogUnavailable | undefined;
  #reportFailure: (err: LogUnavailable) => void = () => undefined;
  /** Resolves with the error once an fdatasync has failed: nothing will become durable anymore. */
  readonly failure = new Promise<LogUnavailable>((resolve) => (this.#reportFailure = resolve));

  constructor(
    private readonly walFile: string,
    private readonly fdatasync: Fdatasync = fs.fdatasync,
    private readonly open: (file: string) => number = openDurably,
  ) {}

  /** Fails when the WAL cannot be synced anymore; call before committing. */
  check(): void {
    if (this.#broken !== undefined) throw this.#broken;
  }

  /** Resolves once the commit just made is durable. */
  durable(): Promise<void> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const seq = ++this.#asked;
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
    this.#start();
    return p;
  }

  /**
   * Undefined when every commit made so far is durable; otherwise resolves once they are, whatever
   * is committed meanwhile. Rejects with LogUnavailable once an fdatasync has failed.
   */
  settled(): Promise<void> | undefined {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const seq = this.#asked;
    if (this.#durable >= seq) return undefined;
    return new Promise<void>((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
  }

  /** Closes the WAL's descriptor once every fdatasync started has returned. */
  async close(): Promise<void> {
    await this.settled()?.catch(() => undefined); // broken: nothing more will become durable
    if (this.#running > 0) await new Promise<void>((r) => (this.#stopped = r));
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #start(): void {
    if (this.#broken !== undefined || this.#running >= MAX_SYNCS || this.#started === this.#asked) return;
    let fd: number;
    try {
      fd = this.#fd ??= this.open(this.walFile);
    } catch (err) {
      return this.#fail(err);
    }
    this.#running += 1;
    const upTo = (this.#started = this.#asked);
    this.fdatasync(fd, (err) => {
      this.#running -= 1;
      if (this.#running === 0) this.#stopped?.();
      if (err) return this.#fail(err);
      if (upTo > this.#durable) {
        this.#durable = upTo;
        const waiters = this.#waiters;
        let kept = 0;
        for (const w of waiters) {
          if (w.seq <= upTo) w.resolve();
          else waiters[kept++] = w;
        }
        waiters.length = kept;
      }
      this.#start();
    });
  }

  #fail(err: unknown): void {
    this.#broken = new LogUnavailable(`event log: fdatasync of ${this.walFile} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    for (const w of this.#waiters.splice(0)) w.reject(this.#broken);
    this.#reportFailure(this.#broken);
  }
}

/**
 * Opens the WAL for fdatasync and fsyncs its directory once: the file may have been created by
 * this connection, whose commits SQLite no longer syncs, so its directory entry is made durable here.
 */
function openDurably(file: string): number {
  const fd = fs.openSync(file, 'r');
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
  return fd;
}
