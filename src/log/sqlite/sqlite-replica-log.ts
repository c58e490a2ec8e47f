import { toLogError } from './sqlite-database.js';
import { buildAppendWithMetaTx, type AppendWithMetaTx } from './sqlite-append.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import type { LogRecord, StoredState, TransSummary } from '../event-log.js';
import { keysetPages, readRecordsAfter, storedStateOf } from './sqlite-statements.js';

/** Open transactions per page of `openAfterSeq`. */
const OPEN_PAGE = 256;

/**
 * The Kafka adapter's local copy of the events topic (src/log/kafka/event-replica.ts): the embedded
 * log's tables, plus writes that carry their copy position (`meta`) in the same SQLite transaction
 * and the per-gid seq the adapter checks before writing. Opened with an inline writer only.
 */
export class SqliteReplicaLog extends SqliteEventLog {
  #metaTx: AppendWithMetaTx | undefined;

  /** Appends and upserts `meta` key/values in one SQLite transaction, synchronously. */
  appendWithMeta(records: readonly LogRecord[], summaries: readonly TransSummary[], meta: Readonly<Record<string, string>>): void {
    this.ensureOpen();
    this.#metaTx ??= buildAppendWithMetaTx(this.db, this.stmts);
    try {
      this.#metaTx(records, summaries, meta);
    } catch (err) {
      throw toLogError(err, 'append');
    }
  }

  /** Highest stored seq of `gid`, 0 when none (the adapter's duplicate check). */
  maxSeq(gid: string): number {
    this.ensureOpen();
    return this.stmts.maxSeq.get(gid)?.seq ?? 0;
  }

  /**
   * The unfinished transactions `accept` takes, each with its events after `from(gid)` (the seq its
   * Kafka snapshot covers; 0 = all): a takeover reads only what its snapshots do not cover, not a
   * long-retried transaction's whole history.
   */
  *openAfterSeq(accept: (gid: string) => boolean, from: (gid: string) => number): Generator<{ gid: string; records: LogRecord[] }> {
    this.ensureOpen();
    try {
      for (const row of keysetPages((after) => this.stmts.openAfter.all(after, OPEN_PAGE), OPEN_PAGE)) {
        if (accept(row.gid)) yield { gid: row.gid, records: readRecordsAfter(this.stmts, row.gid, from(row.gid)) };
      }
    } catch (err) {
      throw toLogError(err, 'scanOpen');
    }
  }

  /** The newest stored state of `gid` the replica copied from the summary headers, or undefined. */
  storedState(gid: string): StoredState | undefined {
    this.ensureOpen();
    return storedStateOf(this.stmts, gid);
  }

  /** A `meta` value written by `appendWithMeta`, or undefined. */
  getMeta(key: string): string | undefined {
    this.ensureOpen();
    return this.stmts.getMeta.get(key)?.value;
  }
}
