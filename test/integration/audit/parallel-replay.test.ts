import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayAll, type ReplayAllSummary } from '../../../src/audit/replay-all.js';
import { replayAllParallel } from '../../../src/audit/parallel-replay.js';
import { runReplay } from '../../../src/audit/replay-command.js';
import { resolveConfig, type ResolvedConfig } from '../../../src/config/index.js';
import { buildRegistry } from '../../../src/extensions/trans-type-loader.js';
import { eventOfRecord, foldRecords } from '../../../src/engine/live-transaction.js';
import { summaryOf } from '../../../src/engine/trans-view.js';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { SqliteAuditPages } from '../../../src/log/sqlite/sqlite-audit-pages.js';
import { topicKey } from '../../../src/log/kv-records.js';
import { createBuiltinRegistry } from '../../../machines/index.js';
import { goldenFiles, readGoldenLog } from '../../support/golden-logs.js';
import pino from 'pino';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The parallel `replay --all` (worker processes, each with its own read-only connection) gives the
 * one-thread audit's summary: same counts, same divergences and failures in the same order, over
 * a log of several id ranges with forged projections and a broken transaction in different ranges.
 */

const COPIES = 120; // × the golden logs of the built-in types: ~3,000 transactions, 3+ id ranges

let dir: string;
let config: ResolvedConfig;
const forged: string[] = [];
let brokenGid = '';
const createTimes: number[] = [];

function copyOf(records: readonly LogRecord[], gid: string): LogRecord[] {
  return records.map((r) => ({ ...r, gid }));
}

beforeAll(async () => {
  dir = tempDir('dtx-parallel-replay-');
  config = resolveConfig({ overrides: { Store: { DataDir: dir } } }).config;
  const registry = createBuiltinRegistry();
  const golden = goldenFiles().map(readGoldenLog).filter((r) => registry.get((r[0]!.data as { spec: { transType: string } }).spec.transType) !== undefined);
  const log = SqliteEventLog.open({ dir, syncCommit: false });
  let n = 0;
  for (let c = 0; c < COPIES; c++) {
    const records: LogRecord[] = [];
    const summaries: TransSummary[] = [];
    // a topic's key takes a gid number between the transactions' and has events but no
    // transaction row: the workers' read (no join without --since) must pair around them
    const key = topicKey(`t${c}`);
    records.push({ v: 1, gid: key, seq: 1, type: 'TopicSubscribed', at: 1_000 + c, data: { topic: `t${c}`, url: 'http://127.0.0.1:1/x', remark: '', subscribers: [{ url: 'http://127.0.0.1:1/x', remark: '' }], version: 1 }, cmd: `topic-${c}` });
    for (const g of golden) {
      const gid = `par-${c}-${n++}`;
      let recs = copyOf(g, gid);
      let summary = summaryOf(foldRecords(registry, gid, recs)!);
      if (n % 997 === 5) {
        summary = { ...summary, view: summary.view.replace(/"status":"(\w+)"/, '"status":"forged"') };
        forged.push(gid);
      }
      if (n === 1500) {
        // a creation event without its options: every fold throws
        const { options: _o, ...spec } = (recs[0]!.data as { spec: Record<string, unknown> }).spec;
        recs = [{ ...recs[0]!, data: { ...recs[0]!.data, spec } }, ...recs.slice(1)];
        brokenGid = gid;
      }
      records.push(...recs);
      summaries.push(summary);
      createTimes.push(summary.createTime);
    }
    await log.append(records, summaries);
  }
  await log.close();
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** This process's live child processes (Linux /proc), once none is left or after 20 s. */
async function childrenSettled(): Promise<string[]> {
  const children = () => readdirSync('/proc/self/task').flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter((p) => p !== '' && existsSync(`/proc/${p}`) && !readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z ')));
  for (const end = Date.now() + 20_000; Date.now() < end && children().length > 0; ) await new Promise((r) => setTimeout(r, 50));
  return children();
}

const verdicts = (s: ReplayAllSummary) => ({ transactions: s.transactions, events: s.events, verified: s.verified, exactFolds: s.exactFolds, divergent: s.divergent, failed: s.failed });

describe('replay --all in worker processes', () => {
  it("reads each transaction's events as eventOfRecord makes them from the log's records (same keys, order and values)", async () => {
    const log = SqliteEventLog.open({ dir, syncCommit: false, sharedReaders: true });
    const pages = new SqliteAuditPages(log.file);
    try {
      const range = pages.idRange(0)!;
      const read = [...pages.entries(range.lo - 1, range.hi, 0)];
      let k = 0;
      for await (const { gid, records, summary } of log.scanAll(0)) {
        const entry = read[k++]!;
        expect([entry.gid, entry.summary]).toEqual([gid, { status: summary.status, view: summary.view }]);
        expect(entry.seqs).toEqual(records.map((r) => r.seq));
        expect(JSON.stringify(entry.events)).toBe(JSON.stringify(records.map(eventOfRecord)));
      }
      expect(k).toBe(read.length);
      expect(k).toBeGreaterThan(2500);
    } finally {
      pages.close();
      await log.close();
    }
  });

  it('gives the one-thread verdicts, in the same order', { timeout: 120_000 }, async () => {
    const log = SqliteEventLog.open({ dir, syncCommit: false, sharedReaders: true });
    try {
      const registry = await buildRegistry(config, pino({ level: 'silent' }));
      const total = await log.countAll(0);
      expect(total).toBeGreaterThan(2500);
      const one = await replayAll(log, registry, 0);
      const progress: number[] = [];
      const parallel = await replayAllParallel(log.file, config, 0, total, { threads: 3, onProgress: (done) => progress.push(done) });
      expect(verdicts(parallel)).toEqual(verdicts(one));
      expect([one.workers, parallel.workers]).toEqual([0, 3]);
      expect(parallel.divergent.map((d) => d.gid)).toEqual(forged);
      expect(parallel.failed.map((f) => f.gid)).toEqual([brokenGid]);
      expect(parallel.verified).toBe(total - forged.length - 1);
      expect(progress.at(-1)).toBe(total);
      const exact = await replayAllParallel(log.file, config, 0, total, { threads: 2, exact: true });
      expect({ ...verdicts(exact), exactFolds: 0 }).toEqual({ ...verdicts(one), exactFolds: 0 });
      expect(exact.exactFolds).toBe(total);
    } finally {
      await log.close();
    }
  });

  it('with `since` (events read through the transactions), the one-thread verdicts of those transactions', { timeout: 120_000 }, async () => {
    const since = [...createTimes].sort((a, b) => a - b)[Math.floor(createTimes.length / 2)]!;
    const log = SqliteEventLog.open({ dir, syncCommit: false, sharedReaders: true });
    try {
      const total = await log.countAll(since);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThan(await log.countAll(0));
      const one = await replayAll(log, await buildRegistry(config, pino({ level: 'silent' })), since);
      const parallel = await replayAllParallel(log.file, config, since, total, { threads: 2 });
      expect(verdicts(parallel)).toEqual(verdicts(one));
      expect(parallel.transactions).toBe(total);
    } finally {
      await log.close();
    }
  });

  it('an audit with nothing since `since` ends with empty counts; one whose log cannot be read rejects; no worker outlives either', { timeout: 120_000 }, async () => {
    const none = await replayAllParallel(path.join(dir, 'dtx.db'), config, Date.now() + 3_600_000, 0, { threads: 2 });
    expect(verdicts(none)).toEqual({ transactions: 0, events: 0, verified: 0, exactFolds: 0, divergent: [], failed: [] });
    await expect(replayAllParallel(path.join(dir, 'missing.db'), config, 0, 5000, { threads: 2 })).rejects.toThrow(/missing\.db/);
    expect(await childrenSettled()).toEqual([]);
  });

  it('the replay command runs it with --threads and reports the same summary', { timeout: 120_000 }, async () => {
    const outs: string[] = [];
    const io = { out: (s: string) => void outs.push(s), err: () => undefined, isTTY: false };
    const code = await runReplay(undefined, { all: true, json: true, threads: 2 }, config, io);
    expect(code).toBe(1); // the forged projections and the broken transaction
    const s = JSON.parse(outs.join('')) as ReplayAllSummary;
    expect(s.divergent.map((d) => d.gid)).toEqual(forged);
    expect(s.failed.map((f) => f.gid)).toEqual([brokenGid]);
    expect(s.workers).toBe(2);
  });
});
