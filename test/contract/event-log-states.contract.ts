/**
 * Stored states (StoredState, `TransSummary.state`): a log may keep a transaction's latest machine
 * state and hand it back with the events after it (`readTail`, `scanOpen`), or ignore it and hand
 * back every event (Kafka: its snapshots topic serves recovery). Either way a tail is the
 * transaction's events split at one state, so folding it gives the full fold. Adapters that keep
 * states (`keepsStates`) must give back the newest one.
 */
import { describe, expect, it } from 'vitest';
import type { EventLog, StoredState, StoredTail } from '../../src/log/event-log.js';
import { rec, recs, summary, type EventLogFixture } from './event-log-builders.js';

const stateAt = (seq: number): StoredState => ({ seq, value: { open: `s${seq}` }, context: { transType: 'saga', n: seq, text: 'ü ☃ "q"' }, cmds: [`c${seq}`], ...(seq % 2 === 0 ? { parked: { reason: 'r', at: seq } } : {}) });

export function describeStates(log: () => EventLog, fx: () => EventLogFixture): void {
  describe('stored states', () => {
    /** `tail` is the events of `gid` (1..n) split at its newest state, or all of them. */
    async function expectTail(gid: string, tail: StoredTail, n: number, newest: number): Promise<void> {
      if (tail.state === undefined) {
        expect(fx().keepsStates ?? false, 'this log keeps states').toBe(false);
        expect(tail.records).toEqual(recs(gid, 1, n));
        return;
      }
      expect(tail.state).toEqual(stateAt(newest));
      expect(tail.records).toEqual(recs(gid, newest + 1, n));
    }

    it('readTail gives the newest state and the events after it; read and getSummary are unchanged', async () => {
      await log().append(recs('st', 1, 4), [summary('st', { state: stateAt(4) })]);
      await log().append(recs('st', 5, 6), [summary('st')]);
      await expectTail('st', await log().readTail('st'), 6, 4);
      expect(await log().read('st')).toEqual(recs('st', 1, 6));
      expect(await log().getSummary('st')).toEqual(summary('st'));
      expect(await log().readTail('unknown')).toEqual({ records: [] });
    });

    it('a newer state replaces the kept one, an older one does not', async () => {
      await log().append(recs('nv', 1, 3), [summary('nv', { state: stateAt(3) })]);
      await log().append(recs('nv', 4, 8), [summary('nv', { state: stateAt(7) })]);
      await log().append([rec('nv', 9)], [summary('nv', { state: stateAt(5) })]);
      await expectTail('nv', await log().readTail('nv'), 9, 7);
    });

    it('scanOpen yields unfinished transactions as tails', async () => {
      await log().append([...recs('so', 1, 5), ...recs('sp', 1, 2)], [summary('so', { state: stateAt(3) }), summary('sp')]);
      const tails = new Map<string, StoredTail>();
      for await (const { gid, ...tail } of log().scanOpen()) tails.set(gid, tail);
      await expectTail('so', tails.get('so')!, 5, 3);
      expect(tails.get('sp')).toEqual({ records: recs('sp', 1, 2) });
    });

    it('keeps the state across a reopen', async (ctx) => {
      const reopen = fx().reopen;
      if (reopen === undefined) return ctx.skip('adapter has no reopen');
      await log().append(recs('rs', 1, 3), [summary('rs', { state: stateAt(2) })]);
      await expectTail('rs', await (await reopen()).readTail('rs'), 3, 2);
    });
  });
}
