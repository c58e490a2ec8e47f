import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BranchRow, TransContext } from '../../../machines/index.js';
import { foldRecords } from '../../../src/engine/live-transaction.js';
import type { Parked } from '../../../src/engine/live-transaction.js';
import { branchView, renderView, transView } from '../../../src/engine/trans-view.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';

/**
 * renderView assembles the projection text from parts it keeps per spec and per branch row; it
 * must stay byte for byte the JSON of dtm's objects, whatever was rendered before it.
 */
function reference(ctx: TransContext, status: string, parked?: Parked): string {
  return JSON.stringify({ transaction: transView(ctx, status, parked), branches: ctx.branches.map((b) => branchView(ctx.gid, b)) });
}

const registry = goldenRegistry();
const STATUSES = ['', 'prepared', 'submitted', 'aborting', 'succeed', 'failed'] as const;

/** Every state of every golden log: the context after each record. */
function goldenContexts(): Array<{ ctx: TransContext; status: string }> {
  const out: Array<{ ctx: TransContext; status: string }> = [];
  for (const file of goldenFiles()) {
    const records = readGoldenLog(file);
    for (let n = 1; n <= records.length; n += 1) {
      const live = foldRecords(registry, records[0]!.gid, records.slice(0, n));
      if (live !== undefined) out.push({ ctx: live.context, status: live.status });
    }
  }
  return out;
}

describe('renderView', () => {
  const states = goldenContexts();

  it('equals JSON.stringify of the dtm objects at every state of every golden log, rendered twice', () => {
    expect(states.length).toBeGreaterThan(100);
    for (const { ctx, status } of states) {
      expect(renderView(ctx, status)).toBe(reference(ctx, status));
      expect(renderView(ctx, status)).toBe(reference(ctx, status)); // from the kept parts
    }
  });

  it('equals it for changed options, times, texts, parking and rows shared with another gid', () => {
    const text = fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.constant('"quoted\\ \u2028 é"'));
    const time = fc.integer({ min: 0, max: 4_000_000_000_000 });
    fc.assert(
      fc.property(
        fc.nat({ max: states.length - 1 }),
        fc.constantFrom(...STATUSES),
        fc.record({
          waitResult: fc.boolean(),
          timeoutToFail: fc.nat({ max: 100 }),
          requestTimeout: fc.nat({ max: 100 }),
          retryInterval: fc.nat({ max: 100 }),
          retryLimit: fc.nat({ max: 5 }),
          concurrent: fc.boolean(),
          branchHeaders: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
        }),
        fc.record({ result: text, rollbackReason: text, customData: text, queryPrepared: text, nextCronInterval: fc.nat({ max: 600 }), nextCronTime: fc.oneof(fc.constant(0), time), createTime: time, updateTime: time }),
        fc.option(fc.record({ reason: text, at: time }), { nil: undefined }),
        fc.option(time, { nil: undefined }),
        fc.boolean(),
        (i, status, options, fields, parked, finishTime, otherGid) => {
          const base = states[i]!.ctx;
          const gid = otherGid ? `${base.gid}-other` : base.gid;
          const ctx: TransContext = { ...base, ...fields, gid, options, finishTime, rollbackTime: finishTime, branches: base.branches };
          expect(renderView(ctx, status, parked)).toBe(reference(ctx, status, parked));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('renders a changed row anew, and a transaction without a spec', () => {
    const { ctx } = states.find((s) => s.ctx.branches.length > 1)!;
    renderView(ctx, 'submitted');
    const changed: BranchRow = { ...ctx.branches[0]!, status: 'succeed', finishTime: ctx.createTime + 1 };
    const next: TransContext = { ...ctx, branches: [changed, ...ctx.branches.slice(1)] };
    expect(renderView(next, 'submitted')).toBe(reference(next, 'submitted'));
    expect(renderView(next, 'submitted')).toContain('"status":"succeed","url"');
    const bare: TransContext = { ...ctx, spec: undefined, branches: [] };
    expect(renderView(bare, '')).toBe(reference(bare, ''));
  });
});
