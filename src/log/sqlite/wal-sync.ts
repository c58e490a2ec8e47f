import fs from 'node:fs';
import { LogUnavailable } from '../../errors.js';

/** `fs.fdatasync` with a callback, injectable for tests. */
export type Fdatasync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/**
 * The fsync of commits made on the main thread's connection, off the main thread. That
 * connection commits with `synchronous = NORMAL` (its commit writes the WAL, no fsync); each
 * commit then asks `durable()`, which resolves once an `fdatasync` of the WAL file that started
 * after the commit has returned, on libuv's thread pool. One fdatasync runs at a time and covers
 * every commit made before it started: commits made meanwhile share the next one. Linux flushes a
 * file's dirty pages whichever descriptor wrote them, so the descriptor opened here on the WAL
 * covers the connection's writes.
 *
 * Until then a commit is visible to the connection's readers: the log's reads wait for
 * `settled()` before they answer (sqlite-event-log.ts), so no reader learns of a commit that is
 * not durable. A failed fdatasync leaves the WAL's pages in an unknown state (Linux may drop
 * them): every waiting and later commit fails with LogUnavailable, as when the writer thread dies.
 */
export class WalSync {
  #fd: number | undefined;
  /** commits asked to be made durable, and how many of them are */
  #asked = 0;
  #durable = 0;
  #running = false;
  #waiters: Array<{ readonly seq: number; readonly resolve: () => void; readonly reject: (e: Error) => void }> = [];
  #broken: Error | undefined;

  constructor(
    private readonly walFile: string,
    private readonly fdatasync: Fdatasync = fs.fdatasync,
    private readonly open: (file: string) => number = (f) => fs.openSync(f, 'r'),
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
   * Undefined when every commit made so far is durable (or failed); otherwise resolves once they
   * are, whatever is committed meanwhile.
   */
  settled(): Promise<void> | undefined {
    const seq = this.#asked;
    if (this.#durable >= seq) return undefined;
    return new Promise<void>((resolve) => this.#waiters.push({ seq, resolve, reject: () => resolve() }));
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #start(): void {
    if (this.#running || this.#durable === this.#asked) return;
    let fd: number;
    try {
      fd = this.#fd ??= this.open(this.walFile);
    } catch (err) {
      return this.#fail(err);
    }
    this.#running = true;
    const upTo = this.#asked;
    this.fdatasync(fd, (err) => {
      this.#running = false;
      if (err) return this.#fail(err);
      this.#durable = upTo;
      const waiters = this.#waiters;
      let kept = 0;
      for (const w of waiters) {
        if (w.seq <= upTo) w.resolve();
        else waiters[kept++] = w;
      }
      waiters.length = kept;
      this.#start();
    });
  }

  #fail(err: unknown): void {
    this.#broken = new LogUnavailable(`event log: fdatasync of ${this.walFile} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    for (const w of this.#waiters.splice(0)) w.reject(this.#broken);
    this.#durable = this.#asked;
  }
}
