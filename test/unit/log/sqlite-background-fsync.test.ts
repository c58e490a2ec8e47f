import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { backgroundAppender } from '../../../src/log/sqlite/background-appender.js';
import { openDatabase } from '../../../src/log/sqlite/sqlite-database.js';
import { buildAppendTx, type AppendTx } from '../../../src/log/sqlite/sqlite-append.js';
import { prepareStatements } from '../../../src/log/sqlite/sqlite-statements.js';
import { LogUnavailable } from '../../../src/errors.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The production appender (`writer: 'background'`, fsync on) on real SQLite: commits made on the
 * main thread's connection, fsynced on the thread pool, and checkpoints between them that keep the
 * WAL bounded, exclusive ones holding commits meanwhile.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * The WAL starts over only after a checkpoint during which nothing was committed; until then it
 * grows to CHECKPOINT_CATCH_UP_FRAMES, plus what one interval adds before the checkpoint that finds
 * them and one more while it runs (~1,000 frames each), before an exclusive checkpoint
 * (inline-appender.ts): ~6,000 frames of 4 KiB and their headers, ~24 MiB.
 */
const WAL_BOUND_BYTES = 32 * 1024 * 1024;

function openLog(dir?: string): { log: SqliteEventLog; dir: string } {
  const d = dir ?? tempDir('dtx-bgsync-');
  if (dir === undefined) dirs.push(d);
  return { log: SqliteEventLog.open({ dir: d, syncCommit: true, writer: 'background' }), dir: d };
}

/** The log's appender (`backgroundAppender`, as `SqliteEventLog.open` builds it) on a log `openLog` created, counting its commits. */
function handBuilt(dir: string) {
  const file = path.join(dir, 'dtx.db');
  const db = openDatabase({ file, syncCommit: true, lockTimeoutMs: 5000, exclusive: false, cacheMiB: 2 });
  const commit = buildAppendTx(db, prepareStatements(db));
  const counts = { commits: 0, exclusive: 0, checkpoints: 0 };
  const inline: AppendTx = (records, summaries) => {
    commit(records, summaries);
    counts.commits += 1;
  };
  const observer = { done: (_r: unknown, exclusive: boolean) => ((counts.checkpoints += 1), exclusive && (counts.exclusive += 1)), failed: () => undefined };
  const appender = backgroundAppender(file, db, inline, true, () => db.close(), { observer });
  return { appender, counts, close: () => appender.close() };
}

function batch(gid: string, seq: number): [LogRecord[], TransSummary[]] {
  const record: LogRecord = { v: 1, gid, seq, type: seq === 1 ? 'TransCreated' : 'TransSubmitted', at: seq, data: { payload: 'x'.repeat(200) }, cmd: `${gid}-${seq}` };
  const summary: TransSummary = { gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: seq, nextCronTime: undefined, finished: false, view: `{"gid":"${gid}"}` };
  return [[record], [summary]];
}

describe('sqlite log: commits with background fsyncs, checkpoints between them', () => {
  it('keeps every acknowledged record, committed in bursts across checkpoints, exclusive ones included', async () => {
    const { log, dir } = openLog(); // creates the schema
    await log.close();
    const { appender, counts, close } = handBuilt(dir);
    const bursts = 60;
    try {
      for (let b = 0; b < bursts; b += 1) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => appender.append(...batch(`b${b}-${i}`, 1))));
        if (b < 20) await appender.append(...batch(`seq-${b}`, 1));
      }
    } finally {
      await close();
    }
    expect(counts.checkpoints).toBeGreaterThan(3);
    expect(counts.exclusive).toBeGreaterThan(0); // bursts commit while checkpoints run: the WAL needed catching up
    const { log: reopened } = openLog(dir);
    try {
      for (let b = 0; b < bursts; b += 1) for (let i = 0; i < 20; i += 1) expect(await reopened.read(`b${b}-${i}`)).toHaveLength(1);
      for (let b = 0; b < 20; b += 1) expect((await reopened.read(`seq-${b}`)).map((r) => r.seq)).toEqual([1]);
    } finally {
      await reopened.close();
    }
  });

  it('acknowledges a commit made on this thread after an fdatasync of the WAL, and reads wait for it', async () => {
    const synced: string[] = [];
    const events: string[] = [];
    const real = fs.fdatasync;
    const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
      synced.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
      real(fd, (err) => {
        events.push('fdatasync returned');
        done(err);
      });
    }) as typeof fs.fdatasync);
    try {
      const { log, dir } = openLog();
      try {
        const commit = log.append(...batch('sync-1', 1)).then(() => events.push('acknowledged'));
        const read = log.getSummary('sync-1').then((s) => events.push(`read ${s?.gid}`));
        await Promise.all([commit, read]);
        expect(synced).toEqual([path.join(fs.realpathSync(dir), 'dtx.db-wal')]);
        expect(events[0]).toBe('fdatasync returned');
        expect(events.slice(1).sort()).toEqual(['acknowledged', 'read sync-1']);
      } finally {
        await log.close();
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('after a failed fdatasync of the WAL, the commit, the reads and every later commit fail with LogUnavailable', async () => {
    const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
      setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
    }) as typeof fs.fdatasync);
    try {
      const { log } = openLog();
      try {
        const commit = log.append(...batch('eio-1', 1));
        const read = log.getSummary('eio-1'); // sees the commit, whose fsync fails
        await expect(commit).rejects.toBeInstanceOf(LogUnavailable);
        await expect(read).rejects.toBeInstanceOf(LogUnavailable);
        await expect(log.getSummary('eio-1')).rejects.toThrow(/fdatasync of .*dtx\.db-wal failed: EIO/);
        await expect(log.append(...batch('eio-2', 1))).rejects.toBeInstanceOf(LogUnavailable);
        // the log can never be used again: the process is told, and stops (serve-command.ts)
        await expect(log.failure).resolves.toMatchObject({ name: 'LogUnavailable', message: expect.stringMatching(/fdatasync of .*dtx\.db-wal failed: EIO/) });
      } finally {
        await log.close();
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('checkpoints keep the WAL that commits grow bounded', async () => {
    const { log, dir } = openLog();
    try {
      // ~7 WAL pages each: without checkpoints the WAL reaches ~54 MiB
      for (let i = 0; i < 2000; i += 1) await log.append(...batch(`wal-${i}`, 1));
      const wal = fs.statSync(path.join(dir, 'dtx.db-wal')).size;
      expect(wal).toBeLessThan(WAL_BOUND_BYTES);
    } finally {
      await log.close();
    }
  });
});
