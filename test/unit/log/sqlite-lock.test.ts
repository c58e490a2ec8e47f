/**
 * One process owns a data dir (DESIGN §2): a second opener fails fast while the owner lives, and
 * the lock disappears with the owner even when it is SIGKILLed (no stale lock file).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { tempDir } from '../../support/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-sqlite-lock.mjs', import.meta.url));

interface Holder {
  readonly child: ChildProcess;
  /** First line printed by the fixture: 'LOCKED' or 'BUSY <code>'. */
  readonly line: Promise<string>;
  readonly exited: Promise<number | null>;
}

function runFixture(file: string, mode: 'hold' | 'try'): Holder {
  const child = spawn(process.execPath, [FIXTURE, file, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    void exited.then((code) => reject(new Error(`fixture exited (${code}) before printing: ${buf}`)));
  });
  return { child, line, exited };
}

async function kill9(h: Holder): Promise<void> {
  h.child.kill('SIGKILL');
  await h.exited;
}

describe('SqliteEventLog data dir lock', () => {
  let dir: string;
  let file: string;
  const holders: Holder[] = [];
  beforeEach(() => {
    dir = tempDir('dtx-lock-');
    file = path.join(dir, 'dtx.db');
  });
  afterEach(async () => {
    for (const h of holders.splice(0)) if (h.child.exitCode === null) await kill9(h);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails fast while another process holds the dir, and opens once that process is SIGKILLed', async () => {
    const seed = SqliteEventLog.open({ dir, syncCommit: true });
    await seed.append([{ v: 1, gid: 'g', seq: 1, type: 'TransCreated', at: 1, data: {}, cmd: 'c' }], []);
    await seed.close();

    const holder = runFixture(file, 'hold');
    holders.push(holder);
    expect(await holder.line).toBe('LOCKED');
    const started = Date.now();
    expect(() => SqliteEventLog.open({ dir, syncCommit: true, lockTimeoutMs: 100 })).toThrow(
      expect.objectContaining({ code: 'DTX_LOG_UNAVAILABLE', message: expect.stringMatching(/locked by another process/) }),
    );
    expect(Date.now() - started).toBeLessThan(2000);

    await kill9(holder);
    const log = SqliteEventLog.open({ dir, syncCommit: true });
    expect(await log.read('g')).toHaveLength(1);
    await log.close();
    // the holder's last commit (in the WAL it never checkpointed) survived the SIGKILL
    const db = new Database(file, { readonly: true });
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'holder'`).get() as { value: string } | undefined;
    db.close();
    expect(row?.value).toBe(String(holder.child.pid));
  });

  it('keeps other processes out while open, and lets them in after close', async () => {
    const log = SqliteEventLog.open({ dir, syncCommit: true });
    const contender = runFixture(file, 'try');
    expect(await contender.line).toBe('BUSY SQLITE_BUSY');
    expect(await contender.exited).toBe(3);
    await log.close();
    const after = runFixture(file, 'try');
    expect(await after.line).toBe('LOCKED');
    expect(await after.exited).toBe(0);
  });

  it('refuses a second open in the same process', async () => {
    const log = SqliteEventLog.open({ dir, syncCommit: false });
    expect(() => SqliteEventLog.open({ dir, syncCommit: false, lockTimeoutMs: 0 })).toThrow(/locked by another process/);
    await log.close();
    const again = SqliteEventLog.open({ dir, syncCommit: false });
    await again.close();
  });

  it('creates a missing data dir', async () => {
    const nested = path.join(dir, 'a', 'b');
    const log = SqliteEventLog.open({ dir: nested, fileName: 'x.db', syncCommit: false });
    expect(log.file).toBe(path.join(nested, 'x.db'));
    expect(fs.existsSync(log.file)).toBe(true);
    await log.close();
  });
});
