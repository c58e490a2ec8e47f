import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { WorkerAppender } from '../../../src/log/sqlite/worker-appender.js';
import { backgroundAppender } from '../../../src/log/sqlite/background-appender.js';
import { openDatabase } from '../../../src/log/sqlite/sqlite-database.js';
import { buildAppendTx, type AppendTx } from '../../../src/log/sqlite/sqlite-append.js';
import { prepareStatements } from '../../../src/log/sqlite/sqlite-statements.js';
import { LogUnavailable } from '../../../src/errors.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The production writer (`writer: 'worker'`, fsync on) on real SQLite: commits made on the main
 * thread's connection (fsynced on the thread pool) and on the writer thread's land in one log, and
 * the WAL either connection writes is checkpointed by the writer thread.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * The WAL starts over only after a checkpoint during which nothing was committed inline; until then
 * it grows to CHECKPOINT_CATCH_UP_FRAMES, plus what one interval adds before the checkpoint that
 * finds them and one more while it runs (~1,000 frames each), before an exclusive checkpoint
 * (hybrid-appender.ts): ~6,000 frames of 4 KiB and their headers, ~24 MiB.
 */
const WAL_BOUND_BYTES = 32 * 1024 * 1024;

function openLog(dir?: string): { log: SqliteEventLog; dir: string } {
  const d = dir ?? tempDir('dtx-hybrid-');
  if (dir === undefined) dirs.push(d);
  return { log: SqliteEventLog.open({ dir: d, syncCommit: true, writer: 'worker' }), dir: d };
}

/**
 * The log's appender (`backgroundAppender`, as `SqliteEventLog.open` builds it) on a log `openLog`
 * created, with a clock that makes inline commits look slow while `slow.on`: the hybrid then hands
 * them to the writer thread (INLINE_MAX_MS), so a test can choose which connection commits.
 */
function handBuiltHybrid(dir: string, slow: { on: boolean }) {
  const file = path.join(dir, 'dtx.db');
  const db = openDatabase({ file, syncCommit: true, lockTimeoutMs: 5000, exclusive: false });
  const commit = buildAppendTx(db, prepareStatements(db));
  const counts = { inline: 0 };
  let t = 0;
  const inline: AppendTx = (records, summaries) => {
    commit(records, summaries);
    counts.inline += 1;
    if (slow.on) t += 5;
  };
  const hybrid = backgroundAppender(file, db, inline, true, () => db.close(), { now: () => t });
  return { hybrid, counts, close: () => hybrid.close() };
}

function batch(gid: string, seq: number): [LogRecord[], TransSummary[]] {
  const record: LogRecord = { v: 1, gid, seq, type: seq === 1 ? 'TransCreated' : 'TransSubmitted', at: seq, data: { payload: 'x'.repeat(200) }, cmd: `${gid}-${seq}` };
  const summary: TransSummary = { gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: seq, nextCronTime: undefined, finished: false, view: `{"gid":"${gid}"}` };
  return [[record], [summary]];
}

describe('sqlite log: commits on the main thread and on the writer thread', () => {
  it('keeps every acknowledged record, whichever thread committed it', async () => {
    const { log, dir } = openLog(); // creates the schema
    await log.close();
    const slow = { on: false };
    const { hybrid, counts, close } = handBuiltHybrid(dir, slow);
    const total = 160;
    try {
      for (let i = 0; i < total; i += 1) {
        slow.on = i >= 20 && i < 60; // inline, then on the writer, then inline again once the average decays
        await hybrid.append(...batch(`seq-${i}`, 1));
      }
      await Promise.all(Array.from({ length: 40 }, (_, i) => hybrid.append(...batch(`burst-${i}`, 1))));
      for (let i = 0; i < 20; i += 1) await hybrid.append(...batch(`seq-${i}`, 2));
    } finally {
      await close();
    }
    expect(counts.inline).toBeGreaterThan(50);
    expect(counts.inline).toBeLessThan(total + 60 - 20); // some went to the writer
    const { log: reopened } = openLog(dir);
    try {
      for (let i = 0; i < 20; i += 1) expect((await reopened.read(`seq-${i}`)).map((r) => r.seq)).toEqual([1, 2]);
      for (let i = 20; i < total; i += 1) expect(await reopened.read(`seq-${i}`)).toHaveLength(1);
      for (let i = 0; i < 40; i += 1) expect(await reopened.read(`burst-${i}`)).toHaveLength(1);
      expect((await reopened.getSummary('seq-7'))?.updateTime).toBe(2);
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

  it('the writer thread checkpoints the WAL that main-thread commits grow', async () => {
    const { log, dir } = openLog();
    try {
      // ~7 WAL pages each, committed on this thread: without the writer's checkpoints the WAL reaches ~54 MiB
      for (let i = 0; i < 2000; i += 1) await log.append(...batch(`wal-${i}`, 1));
      const wal = fs.statSync(path.join(dir, 'dtx.db-wal')).size;
      expect(wal).toBeLessThan(WAL_BOUND_BYTES);
    } finally {
      await log.close();
    }
  });

  it('checkpoints the WAL that the writer\'s own commits grow (its connection never checkpoints by itself)', async () => {
    const { log, dir } = openLog();
    await log.close();
    const { hybrid, counts, close } = handBuiltHybrid(dir, { on: true });
    try {
      for (let i = 0; i < 2000; i += 1) await hybrid.append(...batch(`w-${i}`, 1));
      expect(counts.inline).toBeLessThan(100); // the rest on the writer
      // unchecked, the 2,000 commits would grow the WAL to ~54 MiB
      const wal = fs.statSync(path.join(dir, 'dtx.db-wal')).size;
      expect(wal).toBeLessThan(WAL_BOUND_BYTES);
    } finally {
      await close();
    }
  });

  it('a writer thread that dies fails its commit and every later one, and reports the failure once; a closed one does not', async () => {
    const { log, dir } = openLog(); // creates the schema
    await log.close();
    const file = path.join(dir, 'dtx.db');
    const dying = new WorkerAppender(file, true, new URL('../../support/dying-writer.mjs', import.meta.url));
    await expect(dying.append(...batch('d-1', 1))).rejects.toThrow(/event log writer stopped: the writer thread crashed/);
    await expect(dying.failure).resolves.toBeInstanceOf(LogUnavailable);
    await expect(dying.append(...batch('d-2', 1))).rejects.toBeInstanceOf(LogUnavailable);
    await dying.close();

    const closed = new WorkerAppender(file, true);
    await closed.append(...batch('d-3', 1));
    await closed.close();
    const noFailure = Symbol('no failure');
    expect(await Promise.race([closed.failure, new Promise((r) => setImmediate(() => r(noFailure)))])).toBe(noFailure);
  });

  it('a checkpoint pending on the writer leaves it idle for commits, and reports the WAL\'s frames', async () => {
    const { log, dir } = openLog(); // creates the schema
    await log.close();
    const writer = new WorkerAppender(path.join(dir, 'dtx.db'), true);
    try {
      await writer.append(...batch('f-1', 1));
      expect([writer.idle, writer.checkpointing]).toEqual([true, false]);
      const pending = writer.checkpoint();
      expect([writer.idle, writer.checkpointing]).toEqual([true, true]);
      const commit = writer.append(...batch('f-2', 1));
      expect([writer.idle, writer.checkpointing]).toEqual([false, true]);
      expect((await pending).frames).toBeGreaterThan(0);
      await commit;
      expect([writer.idle, writer.checkpointing]).toEqual([true, false]);
    } finally {
      await writer.close();
    }
  });
});
