/**
 * Property part of the EventLog contract: any sequence of batches (some of them invalid because they
 * repeat a (gid, seq)) reads back exactly like a simple model. Each run uses its own gid prefix, so
 * the runs share one log without interfering.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventLog, LogRecord, TransSummary } from '../../src/log/event-log.js';
import { collectOpen, expectRejectCode, summary } from './event-log-builders.js';

interface Step {
  readonly gid: number;
  readonly count: number;
  readonly finished: boolean;
  readonly status: string;
  readonly data: Record<string, string | number | boolean | null>;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  gid: fc.nat({ max: 4 }),
  count: fc.integer({ min: 1, max: 3 }),
  finished: fc.boolean(),
  status: fc.constantFrom('prepared', 'submitted', 'aborting', 'succeed', 'failed'),
  data: fc.dictionary(
    fc.stringMatching(/^[a-z]{1,6}$/),
    fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
    { maxKeys: 4 },
  ),
});

const batchArb = fc.record({ steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }), duplicate: fc.boolean() });

let runCounter = 0;

export function describeProperties(getLog: () => EventLog): void {
  describe('properties', () => {
    it('any sequence of appended batches reads back exactly per gid', async () => {
      const log = getLog();
      await fc.assert(
        fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 8 }), async (batches) => {
          const prefix = `run${++runCounter}-`;
          const model = new Map<string, LogRecord[]>();
          const sums = new Map<string, TransSummary>();
          let at = 1_700_000_000_000;
          for (const batch of batches) {
            const next = new Map<string, number>();
            const records: LogRecord[] = [];
            const batchSums: TransSummary[] = [];
            for (const step of batch.steps) {
              const gid = `${prefix}g${step.gid}`;
              for (let i = 0; i < step.count; i++) {
                const seq = (next.get(gid) ?? model.get(gid)?.length ?? 0) + 1;
                next.set(gid, seq);
                // -0 does not survive JSON; the log stores JSON, so normalise it in the input.
                const data = JSON.parse(JSON.stringify({ ...step.data, i })) as Record<string, unknown>;
                records.push({ v: 1, gid, seq, type: 'Step', at: at++, data, cmd: `c${at}` });
              }
              batchSums.push(summary(gid, { status: step.status, finished: step.finished, updateTime: at }));
            }
            if (batch.duplicate) {
              const first = records[0] as LogRecord;
              const existing = model.get(first.gid)?.[0];
              records.push(existing ?? first);
              await expectRejectCode(log.append(records, batchSums), 'DTX_INTERNAL');
              continue;
            }
            await log.append(records, batchSums);
            for (const r of records) model.set(r.gid, [...(model.get(r.gid) ?? []), r]);
            for (const s of batchSums) sums.set(s.gid, s);
          }
          for (let g = 0; g <= 4; g++) {
            const gid = `${prefix}g${g}`;
            expect(await log.read(gid)).toEqual(model.get(gid) ?? []);
            expect(await log.getSummary(gid)).toEqual(sums.get(gid));
          }
          const open = [...(await collectOpen(log)).entries()].filter(([gid]) => gid.startsWith(prefix));
          const expectedOpen = [...sums.values()].filter((s) => !s.finished).map((s) => s.gid);
          expect(open.map(([gid]) => gid).sort()).toEqual(expectedOpen.sort());
          for (const [gid, records] of open) expect(records).toEqual(model.get(gid));
        }),
        { numRuns: 60 },
      );
    });
  });
}
