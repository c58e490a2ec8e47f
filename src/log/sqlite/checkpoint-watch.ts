import type { Logger } from 'pino';
import { errorKind, RepeatGate } from '../../observability/repeat-gate.js';
import type { CheckpointObserver } from './inline-appender.js';
import type { CheckpointResult } from './wal-checkpointer.js';

/** The same WAL trouble is warned about at most once per this interval (with how often it recurred). */
export const WAL_WARNING_MS = 60_000;

/**
 * Tells the operator why the embedded log's WAL keeps growing, which dtx cannot fix by itself:
 * - an exclusive checkpoint (commits waited for it) that still left frames behind was held back
 *   by a reader of another process (an online `dtx backup`, an sqlite3 shell on the file): the WAL
 *   grows until that read ends;
 * - a checkpoint that failed (SQLITE_FULL: the database file cannot grow on a full disk; an I/O
 *   error): the WAL grows until one succeeds, and holds every commit meanwhile.
 * Once a checkpoint copies everything again it says so. `dtx_log_wal_bytes` shows the size.
 */
export class CheckpointWatch implements CheckpointObserver {
  readonly #gate: RepeatGate;
  #troubled = false;

  constructor(
    private readonly logger: Logger,
    private readonly walBytes: () => number,
    now: () => number = () => performance.now(),
  ) {
    this.#gate = new RepeatGate(WAL_WARNING_MS, now);
  }

  done({ frames, complete }: CheckpointResult, exclusive: boolean, startsOver: boolean): void {
    if (startsOver) {
      if (this.#troubled) this.logger.info({ walBytes: this.walBytes(), recurred: this.#gate.clear() }, 'WAL checkpoints complete again: the WAL starts over');
      this.#troubled = false;
      return;
    }
    // a passive one leaves the frames committed while it ran (the next one takes them); a complete one, nothing
    if (!exclusive || complete) return;
    this.#troubled = true;
    const recurred = this.#gate.pass('reader');
    if (recurred === undefined) return;
    this.logger.warn({ frames, walBytes: this.walBytes(), recurred }, 'the WAL cannot start over: a reader in another process holds an old snapshot of the log (an online dtx backup, an sqlite3 shell); the WAL grows until that read ends');
  }

  failed(err: unknown): void {
    this.#troubled = true;
    const recurred = this.#gate.pass(errorKind(err));
    if (recurred === undefined) return;
    this.logger.warn({ err, walBytes: this.walBytes(), recurred }, 'WAL checkpoint failed: the WAL grows until one succeeds (on a full disk, free at least the WAL\'s size: its pages are copied into the database file)');
  }
}
