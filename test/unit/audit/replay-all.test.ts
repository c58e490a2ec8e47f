import { describe, expect, it } from 'vitest';
import { EMPTY_CONTEXT, sagaMachine, transSetup, type TransTypeDefinition } from '../../../machines/index.js';
import { replayAll, type ReplayAllSummary } from '../../../src/audit/replay-all.js';
import { FastVerifier } from '../../../src/audit/fast-verify.js';
import { replayRecords } from '../../../src/audit/timeline.js';
import { eventOfRecord, foldRecords } from '../../../src/engine/live-transaction.js';
import { summaryOf } from '../../../src/engine/trans-view.js';
import type { LogRecord, TransSummary } from '../../../src/log/event-log.js';
import { MemoryEventLog } from '../../../src/log/memory/memory-event-log.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/**
 * `replayAll` with the fast fold gives the verdicts of the exact (XState) audit: the same counts,
 * the same divergences with the same diffs, the same failures with the same messages; and what the
 * fast fold cannot fold (a custom type it does not model) is folded by XState.
 */

/** A saga under another name whose machine the flat fold refuses (a delayed transition): XState folds it. */
const slowSaga: TransTypeDefinition = {
  name: 'slowsaga',
  machine: transSetup.createMachine({
    ...(sagaMachine.config as object),
    id: 'slowsaga',
    context: () => ({ ...EMPTY_CONTEXT, transType: 'slowsaga' }),
    states: { ...(sagaMachine.config.states as object), limbo: { after: { 1000: 'failed' } } },
  } as never) as unknown as TransTypeDefinition['machine'],
};

function registry() {
  const r = goldenRegistry();
  r.register(slowSaga);
  return r;
}

/** The golden transactions, plus each saga again as `slowsaga`, each with the summary its fold gives. */
function transactions(): Array<{ records: LogRecord[]; summary: TransSummary }> {
  const out: Array<{ records: LogRecord[]; summary: TransSummary }> = [];
  for (const file of goldenFiles()) {
    const records = readGoldenLog(file);
    out.push({ records, summary: summaryOf(foldRecords(registry(), records[0]!.gid, records)!) });
    if (file.startsWith('saga-')) {
      const gid = `${records[0]!.gid}-slow`;
      const renamed = JSON.parse(JSON.stringify(records).split(records[0]!.gid).join(gid).replace('"transType":"saga"', '"transType":"slowsaga"')) as LogRecord[];
      out.push({ records: renamed, summary: summaryOf(foldRecords(registry(), gid, renamed)!) });
    }
  }
  return out;
}

async function logOf(txs: ReadonlyArray<{ records: LogRecord[]; summary: TransSummary }>): Promise<MemoryEventLog> {
  const log = new MemoryEventLog();
  for (const t of txs) await log.append(t.records, [t.summary]);
  return log;
}

const verdicts = (s: ReplayAllSummary) => ({ transactions: s.transactions, events: s.events, verified: s.verified, divergent: s.divergent, failed: s.failed });

describe('replay --all: the fast fold', () => {
  it('folds every golden log to the state the XState fold gives (status, context, parked)', () => {
    const fast = new FastVerifier(registry());
    for (const file of goldenFiles()) {
      const records = readGoldenLog(file);
      const exact = replayRecords(registry(), records[0]!.gid, records)!.live;
      const f = fast.fold(records.map(eventOfRecord))!;
      expect(f, file).toBeDefined();
      expect(f.status, file).toBe(exact.status);
      expect(JSON.stringify(f.context), file).toBe(JSON.stringify(exact.context));
      expect(f.parked, file).toEqual(exact.parked);
    }
    expect(fast.fold(readGoldenLog('saga-parked.jsonl').map(eventOfRecord))!.parked).toBeDefined();
  });

  it('verifies what the exact audit verifies; a type it does not model is folded by XState', async () => {
    const txs = transactions();
    const slow = txs.filter((t) => t.summary.transType === 'slowsaga').length;
    expect(slow).toBeGreaterThan(5);
    const fast = await replayAll(await logOf(txs), registry(), 0);
    const exact = await replayAll(await logOf(txs), registry(), 0, { exact: true });
    expect(verdicts(fast)).toEqual(verdicts(exact));
    expect(fast.verified).toBe(txs.length);
    expect(fast.exactFolds).toBe(slow);
    expect(exact.exactFolds).toBe(txs.length);
  });

  it('reports forged projections and broken events exactly as the XState audit does', async () => {
    const txs = transactions();
    const forge = (i: number, f: (s: TransSummary) => TransSummary) => {
      txs[i] = { ...txs[i]!, summary: f(txs[i]!.summary) };
    };
    forge(0, (s) => ({ ...s, view: s.view.replace(/"status":"(\w+)"/, '"status":"forged"') }));
    forge(1, (s) => ({ ...s, status: s.status === 'failed' ? 'succeed' : 'failed' }));
    forge(2, (s) => ({ ...s, view: s.view.replace('"branches":[', '"branches":[{"gid":"x"},') }));
    // a creation event without its options: both folds throw
    const broken = txs[3]!;
    const spec = (broken.records[0]!.data as { spec: Record<string, unknown> }).spec;
    const { options: _options, ...withoutOptions } = spec;
    txs[3] = { ...broken, records: [{ ...broken.records[0]!, data: { ...broken.records[0]!.data, spec: withoutOptions } }, ...broken.records.slice(1)] };
    const fast = await replayAll(await logOf(txs), registry(), 0);
    const exact = await replayAll(await logOf(txs), registry(), 0, { exact: true });
    expect(verdicts(fast)).toEqual(verdicts(exact));
    expect(fast.divergent.map((d) => d.gid)).toEqual([0, 1, 2].map((i) => txs[i]!.summary.gid));
    expect(fast.failed.map((f) => f.gid)).toEqual([txs[3]!.summary.gid]);
    expect(fast.verified).toBe(txs.length - 4);
  });
});
