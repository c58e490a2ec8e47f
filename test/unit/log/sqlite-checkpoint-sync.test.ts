import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { WorkerAppender } from '../../../src/log/sqlite/worker-appender.js';
import { LogUnavailable } from '../../../src/errors.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The background writer fdatasyncs the database file after every checkpoint it runs, so the pages
 * a checkpoint copied are durable when it answers (SQLite syncs the file only in a checkpoint that
 * reaches the WAL's end); a failed sync fails the log. Real SQLite on a real writer thread, its
 * fs.fdatasyncSync watched by test/support/syncing-writer.mjs.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const SYNCING_WRITER = new URL('../../support/syncing-writer.mjs', import.meta.url);

/** A fresh log's database file (schema created), and a writer on it with the watched entry. */
async function writerOnNewLog(syncCommit: boolean): Promise<{ file: string; writer: WorkerAppender; synced: () => string[] }> {
  const dir = tempDir('dtx-ckpt-sync-');
  dirs.push(dir);
  await SqliteEventLog.open({ dir, syncCommit: true, writer: 'worker' }).close();
  const file = path.join(dir, 'dtx.db');
  const writer = new WorkerAppender(file, syncCommit, SYNCING_WRITER);
  const synced = () => (fs.existsSync(`${file}.synced`) ? fs.readFileSync(`${file}.synced`, 'utf8').split('\n').filter((l) => l !== '') : []);
  return { file, writer, synced };
}

function batch(gid: string): [LogRecord[], TransSummary[]] {
  const record: LogRecord = { v: 1, gid, seq: 1, type: 'TransCreated', at: 1, data: { payload: 'x'.repeat(200) }, cmd: `${gid}-1` };
  const summary: TransSummary = { gid, transType: 'saga', status: 'submitted', createTime: 1, updateTime: 1, nextCronTime: undefined, finished: false, view: `{"gid":"${gid}"}` };
  return [[record], [summary]];
}

describe('sqlite log: the database file after a checkpoint', () => {
  it('is fdatasynced by the writer after every checkpoint, before the checkpoint is answered', async () => {
    const { file, writer, synced } = await writerOnNewLog(true);
    try {
      await writer.append(...batch('s-1'));
      expect(synced()).toEqual([]); // a commit syncs through SQLite's own connection
      expect((await writer.checkpoint()).frames).toBeGreaterThan(0);
      expect(synced()).toEqual([fs.realpathSync(file)]);
      await writer.append(...batch('s-2'));
      await writer.checkpoint();
      expect(synced()).toEqual([fs.realpathSync(file), fs.realpathSync(file)]);
    } finally {
      await writer.close();
    }
  });

  it('is left to SQLite when commits are not made durable (Store.SyncCommit false)', async () => {
    const { writer, synced } = await writerOnNewLog(false);
    try {
      await writer.append(...batch('n-1'));
      await writer.checkpoint();
      expect(synced()).toEqual([]);
    } finally {
      await writer.close();
    }
  });

  it('a failed fdatasync of it fails the checkpoint, every later commit and checkpoint, and reports the log failed', async () => {
    const { file, writer } = await writerOnNewLog(true);
    await writer.append(...batch('f-1'));
    fs.writeFileSync(`${file}.fail-sync`, '');
    const failed = /event log writer stopped: fdatasync of .*dtx\.db after a checkpoint failed: EIO/;
    await expect(writer.checkpoint()).rejects.toThrow(failed);
    await expect(writer.failure).resolves.toMatchObject({ name: 'LogUnavailable', message: expect.stringMatching(failed) });
    await expect(writer.append(...batch('f-2'))).rejects.toBeInstanceOf(LogUnavailable);
    await expect(writer.checkpoint()).rejects.toThrow(failed);
    expect(writer.idle).toBe(false);
    await writer.close(); // the thread that refuses everything still stops
  });
});
