import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { WalCheckpointer } from '../../../src/log/sqlite/wal-checkpointer.js';
import { backgroundAppender } from '../../../src/log/sqlite/background-appender.js';
import { CHECKPOINT_EVERY } from '../../../src/log/sqlite/inline-appender.js';
import { openDatabase } from '../../../src/log/sqlite/sqlite-database.js';
import { buildAppendTx, type AppendTx } from '../../../src/log/sqlite/sqlite-append.js';
import { prepareStatements } from '../../../src/log/sqlite/sqlite-statements.js';
import type { Fdatasync } from '../../../src/log/sqlite/wal-sync.js';
import { LogUnavailable } from '../../../src/errors.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Checkpoints on the main thread's connection (wal-checkpointer.ts), on real SQLite: the pin keeps
 * the copy to frames committed before it and the WAL from starting over; the database file is
 * fdatasynced after every copy (SQLite's own syncs are off for it), and a failed sync fails the log.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh log's database file (schema created) and a main-thread connection on it. */
async function newLog(): Promise<{ file: string; db: Database.Database; commit: AppendTx }> {
  const dir = tempDir('dtx-ckpt-sync-');
  dirs.push(dir);
  await SqliteEventLog.open({ dir, syncCommit: true, writer: 'background' }).close();
  const file = path.join(dir, 'dtx.db');
  const db = openDatabase({ file, syncCommit: true, lockTimeoutMs: 5000, exclusive: false });
  db.pragma('wal_autocheckpoint = 0');
  return { file, db, commit: buildAppendTx(db, prepareStatements(db)) };
}

function batch(gid: string): [LogRecord[], TransSummary[]] {
  const record: LogRecord = { v: 1, gid, seq: 1, type: 'TransCreated', at: 1, data: { payload: 'x'.repeat(200) }, cmd: `${gid}-1` };
  const summary: TransSummary = { gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: false, view: `{"gid":"${gid}"}` };
  return [[record], [summary]];
}

/** An fdatasync that records the file of each call and fails for files `failing` names. */
function watchedSync(failing: (file: string) => boolean = () => false): { fdatasync: Fdatasync; synced: string[] } {
  const synced: string[] = [];
  const fdatasync: Fdatasync = (fd, done) => {
    const file = fs.readlinkSync(`/proc/self/fd/${fd}`);
    synced.push(path.basename(file));
    if (failing(file)) setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
    else fs.fdatasync(fd, done);
  };
  return { fdatasync, synced };
}

describe('sqlite log: checkpoints between commits', () => {
  it('copies no frame committed after the pin, and the WAL starts over only after the unpin', async () => {
    const { file, db, commit } = await newLog();
    const checkpointer = new WalCheckpointer(file, db, true);
    try {
      commit(...batch('a'));
      checkpointer.pin();
      commit(...batch('b'));
      const first = checkpointer.copy();
      expect(first.complete).toBe(false); // b's frames are past the pin
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL, as opened: only the copy ran without syncs
      checkpointer.unpin();
      checkpointer.pin(); // at the WAL's end now
      const second = checkpointer.copy();
      expect(second).toEqual({ frames: first.frames, complete: true });
      commit(...batch('c')); // pinned: appended after the frames copied, not over them
      const third = checkpointer.copy();
      expect(third.frames).toBeGreaterThan(second.frames);
      checkpointer.unpin();
      expect(checkpointer.copy().complete).toBe(true);
      commit(...batch('d')); // nothing pins the WAL and all of it is copied: it starts over
      const fourth = checkpointer.copy();
      expect(fourth.frames).toBeLessThan(third.frames);
      expect(fourth.frames).toBeGreaterThan(0);
    } finally {
      checkpointer.close();
      db.close();
    }
  });

  it('fdatasyncs the database file after the copy when commits are durable; not when they are not (Store.SyncCommit false)', async () => {
    const { file, db, commit } = await newLog();
    const watched = watchedSync();
    const durable = new WalCheckpointer(file, db, true, watched.fdatasync);
    const notDurable = new WalCheckpointer(file, db, false, watched.fdatasync);
    try {
      commit(...batch('s-1'));
      durable.copy();
      await durable.syncDatabase();
      expect(watched.synced).toEqual(['dtx.db']);
      await notDurable.syncDatabase();
      expect(watched.synced).toEqual(['dtx.db']);
    } finally {
      durable.close();
      notDurable.close();
      db.close();
    }
  });

  it('the appender fdatasyncs the database after each checkpoint; a failed one fails the log and every later commit', async () => {
    const { file, db, commit } = await newLog();
    const fail = { on: false };
    const watched = watchedSync((f) => f.endsWith('dtx.db') && fail.on);
    let checkpointed!: () => void;
    const firstCheckpoint = new Promise<void>((resolve) => (checkpointed = resolve));
    const observer = { done: () => checkpointed(), failed: () => undefined };
    const appender = backgroundAppender(file, db, commit, true, () => db.close(), { fdatasync: watched.fdatasync, observer });
    const failed = appender.failure!.then((e) => e);
    try {
      for (let i = 0; i < CHECKPOINT_EVERY; i += 1) await appender.append(...batch(`ok-${i}`));
      await firstCheckpoint;
      expect(watched.synced).toEqual(['dtx.db']); // the WAL's fsyncs run through wal-sync.ts's own fs.fdatasync
      fail.on = true;
      for (let i = 0; i < CHECKPOINT_EVERY * 2 && watched.synced.length < 2; i += 1) await appender.append(...batch(`f-${i}`));
      const err = await failed;
      expect(err).toBeInstanceOf(LogUnavailable);
      expect(err.message).toMatch(/fdatasync of .*dtx\.db after a checkpoint failed: EIO/);
      await expect(appender.append(...batch('after'))).rejects.toBe(err);
    } finally {
      await appender.close();
    }
  });
});
