import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneCutoff } from '../../../src/cli/prune-command.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { PRUNED_PLACEHOLDER_GID, SqlitePruneLog, storedSchemaVersion } from '../../../src/log/sqlite/sqlite-prune.js';
import { createV1Log } from '../../support/sqlite-v1-log.js';
import { recs, summary } from '../../contract/event-log-builders.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `dtx prune` on the embedded log: finished transactions that last changed before the cutoff go
 * with everything they stored; open and recent ones stay whole; a pruned gid may start anew.
 */
const T = 1_700_000_000_000;
const state = { seq: 2, value: 'succeed', context: { transType: 'saga' }, cmds: [] };
let dir: string;
const logs: SqliteEventLog[] = [];
function open(cls: typeof SqlitePruneLog): SqlitePruneLog;
function open(cls: typeof SqliteEventLog): SqliteEventLog;
function open(cls: typeof SqliteEventLog): SqliteEventLog {
  const log = cls.open({ dir, syncCommit: false });
  logs.push(log);
  return log;
}
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => undefined);
});

async function seed(): Promise<void> {
  dir = tempDir('dtx-prune-');
  const log = open(SqliteEventLog);
  await log.append(recs('old', 1, 3), [summary('old', { status: 'succeed', finished: true, updateTime: T + 100, state })]);
  await log.append(recs('old-failed', 1, 2), [summary('old-failed', { status: 'failed', finished: true, updateTime: T + 200 })]);
  await log.append(recs('open', 1, 4), [summary('open', { status: 'submitted', updateTime: T + 100 })]);
  await log.append(recs('recent', 1, 2), [summary('recent', { status: 'succeed', finished: true, updateTime: T + 5000 })]);
  await log.close();
}

describe('SqlitePruneLog', () => {
  it('deletes finished transactions last changed before the cutoff with their events, state, row and gid', async () => {
    await seed();
    const log = open(SqlitePruneLog);
    expect(log.pruneFinished(T + 1000, true)).toEqual({ transactions: 2, events: 5, states: 1 }); // dry run
    expect(await log.getSummary('old')).toBeDefined();
    const chunks: number[] = [];
    expect(log.pruneFinished(T + 1000, false, (r) => chunks.push(r.transactions))).toEqual({ transactions: 2, events: 5, states: 1 });
    expect(chunks).toEqual([2]);
    for (const gid of ['old', 'old-failed']) {
      expect(await log.read(gid)).toEqual([]);
      expect(await log.getSummary(gid)).toBeUndefined();
      expect(await log.readTail(gid)).toEqual({ records: [] });
    }
    expect(await log.read('open')).toEqual(recs('open', 1, 4));
    expect(await log.read('recent')).toEqual(recs('recent', 1, 2));
    expect((await log.list({ limit: 10 })).items.map((t) => t.gid)).toEqual(['recent', 'open']);
    const states: string[] = [];
    for await (const s of log.scanStates()) states.push(s.gid);
    expect(states).toEqual([]);
    expect(log.pruneFinished(T + 1000)).toEqual({ transactions: 0, events: 0, states: 0 });
  });

  it('hands no number out twice: a pruned gid, the highest one too, starts anew under a new number', async () => {
    await seed();
    const gidRows = () => {
      const db = new Database(path.join(dir, 'dtx.db'), { readonly: true });
      try {
        return (db.prepare('SELECT gid, id FROM gids ORDER BY id').all() as Array<{ gid: string; id: number }>).map((r) => `${r.id}:${r.gid}`);
      } finally {
        db.close();
      }
    };
    expect(gidRows()).toEqual(['1:old', '2:old-failed', '3:open', '4:recent']);
    const prune = open(SqlitePruneLog);
    expect(prune.pruneFinished(T + 10_000).transactions).toBe(3); // old, old-failed, recent (the highest)
    await prune.close();
    expect(gidRows()).toEqual(['3:open', `4:${PRUNED_PLACEHOLDER_GID}`]);
    const log = open(SqliteEventLog);
    await log.append(recs('recent', 1, 1), [summary('recent', { status: 'succeed', finished: true })]);
    await log.append(recs('old', 1, 1), [summary('old', { status: 'failed', finished: true })]);
    expect(await log.read('recent')).toEqual(recs('recent', 1, 1));
    expect((await log.list({ limit: 10 })).items.map((t) => t.gid)).toEqual(['old', 'recent', 'open']); // newest first, by number
    await log.close();
    expect(gidRows()).toEqual(['3:open', `4:${PRUNED_PLACEHOLDER_GID}`, '5:recent', '6:old']);
    // the highest pruned again: the placeholder moves up, the old one goes
    const again = open(SqlitePruneLog);
    expect(again.pruneFinished(T + 10_000).transactions).toBe(2);
    await again.close();
    expect(gidRows()).toEqual(['3:open', `6:${PRUNED_PLACEHOLDER_GID}`]);
  });

  it('works in chunks of 1,000 transactions', async () => {
    dir = tempDir('dtx-prune-');
    const log = open(SqliteEventLog);
    const gids = Array.from({ length: 2500 }, (_, i) => `g${i}`);
    await log.append(gids.flatMap((g) => recs(g, 1, 2)), gids.map((g) => summary(g, { status: 'succeed', finished: true })));
    await log.close();
    const chunks: number[] = [];
    expect(open(SqlitePruneLog).pruneFinished(T + 1000, false, (r) => chunks.push(r.transactions))).toEqual({ transactions: 2500, events: 5000, states: 0 });
    expect(chunks).toEqual([1000, 2000, 2500]);
  });

  it('vacuum shrinks the file once transactions are pruned', async () => {
    dir = tempDir('dtx-prune-');
    const log = open(SqliteEventLog);
    const gids = Array.from({ length: 2000 }, (_, i) => `v${i}`);
    const big = { note: 'x'.repeat(2000) };
    await log.append(gids.flatMap((g) => recs(g, 1, 2).map((r) => ({ ...r, data: big }))), gids.map((g) => summary(g, { status: 'succeed', finished: true })));
    await log.close();
    const prune = open(SqlitePruneLog);
    expect(prune.pruneFinished(T + 1000).transactions).toBe(2000);
    const { before, after } = prune.vacuum();
    expect(before).toBeGreaterThan(8_000_000);
    expect(after).toBeLessThan(before / 10);
  });

  it('a dry run writes nothing; the schema version of a log is read without opening it', async () => {
    await seed();
    const file = path.join(dir, 'dtx.db');
    const hash = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = hash();
    const log = open(SqlitePruneLog);
    expect(log.pruneFinished(T + 10_000, true).transactions).toBe(3);
    await log.close();
    expect(hash()).toBe(before);
    expect(storedSchemaVersion(file)).toBe(3);
    const v1 = tempDir('dtx-prune-v1-');
    createV1Log(v1, 'append-order');
    expect(storedSchemaVersion(path.join(v1, 'dtx.db'))).toBe(1);
    expect(storedSchemaVersion(path.join(v1, 'none.db'))).toBeUndefined();
  });

  it('refuses while another process owns the data dir', async () => {
    await seed();
    open(SqliteEventLog);
    expect(() => SqlitePruneLog.open({ dir, syncCommit: false })).toThrow(/locked by another process/);
  });
});

describe('--finished-before', () => {
  it('takes an age or an ISO time with its zone, and nothing else', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(pruneCutoff('30d', now)).toBe(Date.parse('2026-11-01T12:00:00Z'));
    expect(pruneCutoff('12h', now)).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(pruneCutoff('90m', now)).toBe(now - 5_400_000);
    expect(pruneCutoff('0s', now)).toBe(now);
    expect(pruneCutoff('2026-11-30T00:00:00Z', now)).toBe(Date.parse('2026-11-30T00:00:00Z'));
    expect(pruneCutoff('2026-11-30T06:30:00.5+02:00', now)).toBe(Date.parse('2026-11-30T04:30:00.500Z'));
    expect(pruneCutoff('2026-11-30', now)).toBe(Date.parse('2026-11-30T00:00:00Z'));
    expect(pruneCutoff('2024-02-29', now)).toBe(Date.parse('2024-02-29T00:00:00Z'));
    const bad = ['yesterday', '30', '1700000000000', '-1d', '30days', '', '1e3', 'Dec 1, 2026', '2026-13-45', '2026-02-30', '2025-02-29', '2026-11-30T06:30:00', '2026-11-30 06:30Z', '999999999d'];
    for (const b of bad) expect(pruneCutoff(b, now), b).toBeUndefined();
  });
});
