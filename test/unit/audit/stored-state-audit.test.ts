import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinRegistry } from '../../../machines/index.js';
import { runReplay } from '../../../src/audit/replay-command.js';
import { auditStoredStates, storedStateDiff } from '../../../src/audit/stored-state-audit.js';
import { transactionHistory } from '../../../src/audit/transaction-history.js';
import { MemoryEventLog } from '../../../src/log/memory/memory-event-log.js';
import { resolveConfig, type ResolvedConfig } from '../../../src/config/index.js';
import { foldRecords, storedStateOf } from '../../../src/engine/live-transaction.js';
import { summaryOf } from '../../../src/engine/trans-view.js';
import type { LogRecord, StoredState } from '../../../src/log/event-log.js';
import { SqliteEventLog } from '../../../src/log/sqlite/sqlite-event-log.js';
import { goldenFiles, readGoldenLog } from '../../support/golden-logs.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The audit of stored states: recovery resumes a long transaction from its newest stored state, so
 * `dtx replay` checks each against the fold of the events up to its seq, and a forged one is a
 * divergence (exit 1), for one gid and for --all.
 */
const registry = createBuiltinRegistry();
const golden = goldenFiles().map(readGoldenLog).find((r) => r.length >= 3 && registry.get((r[0]!.data as { spec: { transType: string } }).spec.transType) !== undefined)!;
const copy = (gid: string): LogRecord[] => golden.map((r) => ({ ...r, gid }));
const stateOf = (records: readonly LogRecord[], seq: number): StoredState => storedStateOf(foldRecords(registry, records[0]!.gid, records.slice(0, seq))!);

let dir: string;
let config: ResolvedConfig;
beforeAll(async () => {
  dir = tempDir('dtx-state-audit-');
  config = resolveConfig({ overrides: { Store: { DataDir: dir } } }).config;
  const log = SqliteEventLog.open({ dir, syncCommit: false });
  for (const [gid, forge] of [['good', false], ['forged', true]] as const) {
    const records = copy(gid);
    const state = stateOf(records, 2);
    const stored = forge ? { ...state, context: { ...(state.context as object), retryCount: 99 } } : state;
    await log.append(records, [{ ...summaryOf(foldRecords(registry, gid, records)!), state: stored }]);
  }
  await log.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = () => {
  const outs: string[] = [];
  return { outs, io: { out: (s: string) => void outs.push(s), err: () => undefined, isTTY: false } };
};

describe('stored states in the audit', () => {
  it('a state is the fold of its events; a forged field, a seq past the events or events the fold cannot take diverge', () => {
    const records = copy('x');
    expect(storedStateDiff(registry, 'x', records, stateOf(records, 2))).toEqual([]);
    const forged = storedStateDiff(registry, 'x', records, { ...stateOf(records, 2), cmds: ['other'] });
    expect(forged.map((d) => d.path)).toEqual(['$.stored_state(seq 2).cmds[0]', '$.stored_state(seq 2).cmds[1]']);
    expect(storedStateDiff(registry, 'x', records, { ...stateOf(records, 2), seq: records.length + 1 })[0]?.path).toMatch(/\.seq$/);
    expect(storedStateDiff(registry, 'x', records.map((r, i) => (i === 0 ? { ...r, data: {} } : r)), stateOf(records, 2))[0]?.actual).toMatch(/^no fold/);
  });

  it('auditStoredStates checks every state a log keeps', async () => {
    const log = SqliteEventLog.open({ dir, syncCommit: false });
    try {
      const audit = await auditStoredStates(log, registry);
      expect(audit.checked).toBe(2);
      expect(audit.divergent.map((d) => [d.gid, d.diff.map((e) => e.path)])).toEqual([['forged', ['$.stored_state(seq 2).context.retryCount']]]);
    } finally {
      await log.close();
    }
  });

  it('dtx replay --all reports the forged state and exits 1', async () => {
    const { outs, io } = capture();
    expect(await runReplay(undefined, { all: true, threads: 1 }, config, io)).toBe(1);
    const text = outs.join('');
    expect(text).toMatch(/verified 2, divergent 0, failed 0/);
    expect(text).toMatch(/stored states \(restarts and loads start there\): 2 checked, divergent 1\nSTORED STATE DIVERGES forged\n/);
  });

  it('dtx replay --all --since leaves out the states of transactions created before', async () => {
    const { outs, io } = capture();
    expect(await runReplay(undefined, { all: true, threads: 1, since: String(golden[0]!.at + 1) }, config, io)).toBe(0);
    expect(outs.join('')).toMatch(/verified 0, divergent 0, failed 0[^]*stored states \(restarts and loads start there\): 0 checked, divergent 0\n/);
    const at = capture();
    expect(await runReplay(undefined, { all: true, threads: 1, since: String(golden[0]!.at) }, config, at.io)).toBe(1);
    expect(at.outs.join('')).toMatch(/stored states \(restarts and loads start there\): 2 checked, divergent 1\n/);
  });

  it('dtx replay <gid> checks that gid\'s state', async () => {
    const good = capture();
    expect(await runReplay('good', { json: true }, config, good.io)).toBe(0);
    const bad = capture();
    expect(await runReplay('forged', { json: true }, config, bad.io)).toBe(1);
    expect((JSON.parse(bad.outs.join('')) as { diff: Array<{ path: string }> }).diff.map((d) => d.path)).toEqual(['$.stored_state(seq 2).context.retryCount']);
  });
});

describe('the history route and stored states', () => {
  it('counts a long history from the state and the tail, and refuses it without reading its events', async () => {
    const records = copy('long');
    const log = new (class extends MemoryEventLog {
      override read(): Promise<LogRecord[]> {
        throw new Error('read: the whole history was read');
      }
    })();
    // a state claiming 60,000 events before the tail: past HISTORY_MAX_EVENTS
    await log.append(records, [{ ...summaryOf(foldRecords(registry, 'long', records)!), state: { ...stateOf(records, 1), seq: 60_000 } }]);
    await expect(transactionHistory(log, registry, 'long', 50_000)).rejects.toThrow(/has 6000\d events, more than the 50000/);
  });
});
