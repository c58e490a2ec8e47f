/**
 * Worker-thread entry of the sqlite log's background writer: owns the write connection and runs
 * each group commit (including its fsync) off the main event loop, which keeps serving requests.
 * Protocol: {id, records, summaries} (a commit) or {id, checkpoint: true} (a passive WAL checkpoint
 * of every connection's commits, src/log/sqlite/hybrid-appender.ts) in; {id}, {id, checkpoint}
 * (`CheckpointResult`) or {id, error: {code, message, fatal?}} out. `fatal`: the database file
 * could not be made durable; nothing this writer does can be trusted anymore, it answers every
 * later message with the same error.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CoordinatorError } from '../../errors.js';
import type { LogRecord, TransSummary } from '../event-log.js';
import { buildAppendTx } from './sqlite-append.js';
import { openDatabase, toLogError } from './sqlite-database.js';
import { prepareStatements } from './sqlite-statements.js';

interface Init {
  readonly file: string;
  readonly syncCommit: boolean;
}

/**
 * Page cache of the write connection: the B-tree pages near the appends (events grow at the end,
 * summaries and the gid index take random inserts whose leaves SQLite re-reads from the OS page
 * cache). 8 MiB measured no faster than 2 over a 100k-saga run; each MiB here is a MiB of RSS.
 */
const WRITER_CACHE_MIB = 2;

const port = parentPort;
if (port === null) throw new Error('sqlite-append-worker must run in a worker thread');
const init = workerData as Init;
const db = openDatabase({ file: init.file, syncCommit: init.syncCommit, lockTimeoutMs: 5000, exclusive: false, cacheMiB: WRITER_CACHE_MIB });
// checkpoints only when the main thread asks (hybrid-appender.ts): one inside a commit would make
// every commit queued behind it wait for the copy and the database's fsync
db.pragma('wal_autocheckpoint = 0');
const appendTx = buildAppendTx(db, prepareStatements(db));

/**
 * The database file, fdatasynced after every checkpoint when commits are durable. SQLite syncs it
 * only in a checkpoint that reaches the WAL's end, which, with commits landing during the passive
 * ones, is the exclusive catch-up the hybrid asks for (hybrid-appender.ts): that one then flushed
 * every page copied since the last sync while all commits waited for it, 4-12 ms. Synced here, a
 * checkpoint's pages are durable as it ends (commits go on meanwhile) and the catch-up flushes only
 * its own few (docs/benchmarks.md, "The database's fsync after every checkpoint").
 */
const dbFd = init.syncCommit ? fs.openSync(init.file, 'r') : undefined;
/**
 * Set once that fdatasync failed: the kernel may have dropped the pages it could not write and a
 * later sync (SQLite's own, before the WAL starts over) would succeed without them, so the writer
 * refuses everything from then on and the log fails (`WorkerAppender.failure`: dtx stops).
 */
let fatal: { code: string; message: string; fatal: true } | undefined;

function syncDatabase(fd: number): void {
  try {
    fs.fdatasyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    fatal = { code: 'DTX_LOG_UNAVAILABLE', message: `fdatasync of ${init.file} after a checkpoint failed: ${code}`, fatal: true };
    throw new Error(fatal.message);
  }
}

port.on('message', (msg: { id: number; records: LogRecord[]; summaries: TransSummary[] } | { id: number; checkpoint: true } | { close: true }) => {
  if ('close' in msg) {
    db.close();
    if (dbFd !== undefined) fs.closeSync(dbFd);
    port.close();
    return;
  }
  if (fatal !== undefined) {
    port.postMessage({ id: msg.id, error: fatal });
    return;
  }
  try {
    if ('checkpoint' in msg) {
      const [done] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
      if (dbFd !== undefined) syncDatabase(dbFd);
      // log and checkpointed are -1 when the checkpoint could not run (another connection's checkpoint held its lock): not complete
      const frames = done?.log ?? -1;
      port.postMessage({ id: msg.id, checkpoint: { frames: Math.max(frames, 0), complete: frames >= 0 && (done?.checkpointed ?? -1) >= frames } });
      return;
    }
    appendTx(msg.records, msg.summaries);
    port.postMessage({ id: msg.id });
  } catch (err) {
    if (fatal !== undefined) {
      port.postMessage({ id: msg.id, error: fatal });
      return;
    }
    const mapped = toLogError(err, 'checkpoint' in msg ? 'checkpoint' : 'append');
    const code = mapped instanceof CoordinatorError ? mapped.code : 'DTX_LOG_UNAVAILABLE';
    port.postMessage({ id: msg.id, error: { code, message: mapped instanceof Error ? mapped.message : String(mapped) } });
  }
});
