import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/engine/command.js';
import { foldRecords, type LiveTransaction } from '../../../src/engine/live-transaction.js';
import { WaitRegistry } from '../../../src/engine/wait-registry.js';
import { goldenFiles, goldenRegistry, readGoldenLog } from '../../support/golden-logs.js';
import { SimulatedClock } from '../../support/simulated-clock.js';

/**
 * wait_result's registry (src/engine/wait-registry.ts): a pass that has settled by the time the
 * waiter is added is answered at once, with no timer and no entry left behind; an open pass waits
 * for `check` or for its time limit.
 */

function fold(name: string, events?: number): LiveTransaction {
  const file = goldenFiles().find((f) => path.basename(f) === `${name}.jsonl`)!;
  const records = readGoldenLog(file);
  return foldRecords(goldenRegistry(), records[0]!.gid, records.slice(0, events ?? records.length))!;
}

function setup(): { clock: SimulatedClock; waits: WaitRegistry; replies: Reply[]; resolve: (r: Reply) => void } {
  const clock = new SimulatedClock();
  const replies: Reply[] = [];
  return { clock, waits: new WaitRegistry(clock, () => 30_000), replies, resolve: (r) => void replies.push(r) };
}

describe('WaitRegistry', () => {
  it('answers a settled pass at once, with no timer and no entry', () => {
    const { clock, waits, replies, resolve } = setup();
    const done = fold('saga-normal');
    expect(done.status).toBe('succeed');
    waits.add(done, resolve);
    expect(replies).toEqual([{ ok: true }]);
    expect(waits.has(done.gid)).toBe(false);
    expect(clock.pending).toBe(0);
    const rolledBack = fold('saga-rollback');
    expect(rolledBack.status).toBe('failed');
    waits.add(rolledBack, resolve, 'abort'); // an abort's rollback ending in failed is its success
    waits.add(rolledBack, resolve, 'submit');
    expect(replies.slice(1).map((r) => r.ok)).toEqual([true, false]);
    expect(clock.pending).toBe(0);
  });

  it('an open pass waits for check (one timer, one entry, both gone after), or for its limit', async () => {
    const { clock, waits, replies, resolve } = setup();
    const open = fold('saga-normal', 1);
    expect(open.status).toBe('submitted');
    waits.add(open, resolve);
    expect([replies.length, waits.has(open.gid), clock.pending]).toEqual([0, true, 1]);
    waits.check(open); // still open: nothing
    expect(replies).toEqual([]);
    waits.check(fold('saga-normal'));
    expect([replies, waits.has(open.gid), clock.pending]).toEqual([[{ ok: true }], false, 0]);
    waits.add(open, resolve);
    await clock.advance(30_000);
    expect(replies).toHaveLength(2);
    expect([waits.has(open.gid), clock.pending]).toEqual([false, 0]);
  });
});
