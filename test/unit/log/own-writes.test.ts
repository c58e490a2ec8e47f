import { describe, expect, it } from 'vitest';
import { Internal } from '../../../src/errors.js';
import type { LogRecord } from '../../../src/log/event-log.js';
import { partitionOf, strayGid } from '../../../src/log/gid-partitioner.js';
import { OwnWrites } from '../../../src/log/kafka/own-writes.js';

const rec = (gid: string, seq: number): LogRecord => ({ v: 1, gid, seq, type: 'E', at: 1, data: {}, cmd: `c${seq}` });
const nothingStored = (): number => 0;

/** The Kafka adapter's writes its replica has not copied yet, and its duplicate check. */
describe('OwnWrites', () => {
  it('merges uncopied writes into a replica read until the replica holds them', () => {
    const own = new OwnWrites();
    own.add(0, 10, [rec('a', 2), rec('a', 3)]);
    own.add(0, 12, [rec('a', 4)]);
    expect(own.merge('a', [rec('a', 1)]).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(own.merge('a', [rec('a', 1), rec('a', 2), rec('a', 3)]).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(own.maxSeq('a')).toBe(4);
    expect(own.frontier()).toEqual([[0, 12]]);
    own.prune(0, 11); // the replica copied up to offset 10
    expect(own.maxSeq('a')).toBe(4);
    own.prune(0, 13);
    expect(own.maxSeq('a')).toBe(0);
    expect(own.frontier()).toEqual([]);
    expect(own.merge('a', [rec('a', 1)]).map((r) => r.seq)).toEqual([1]);
  });

  it('completes a replica tail with the events after its state only', () => {
    const own = new OwnWrites();
    own.add(0, 7, [rec('a', 5), rec('a', 6)]);
    const state = { seq: 4, value: 'v', context: {}, cmds: [] };
    expect(own.mergeTail('a', { state, records: [] })).toEqual({ state, records: [rec('a', 5), rec('a', 6)] });
    expect(own.mergeTail('a', { state: { ...state, seq: 5 }, records: [] }).records.map((r) => r.seq)).toEqual([6]);
    expect(own.mergeTail('a', { records: [rec('a', 1)] })).toEqual({ records: [rec('a', 1), rec('a', 5), rec('a', 6)] });
    expect(own.mergeTail('b', { state, records: [rec('b', 5)] })).toEqual({ state, records: [rec('b', 5)] });
    // the replica copied some of the own writes already (they stay until its position passes them)
    own.add(0, 9, [rec('a', 7), rec('a', 8)]);
    expect(own.mergeTail('a', { state, records: [rec('a', 5), rec('a', 6), rec('a', 7)] })).toEqual({ state, records: [5, 6, 7, 8].map((n) => rec('a', n)) });
    expect(own.mergeTail('a', { state: { ...state, seq: 6 }, records: [rec('a', 7)] }).records.map((r) => r.seq)).toEqual([7, 8]);
  });

  it('refuses a batch that repeats a seq written here, stored in the replica, or twice in itself', () => {
    const own = new OwnWrites();
    own.add(1, 5, [rec('a', 1), rec('a', 2)]);
    expect(() => own.assertFresh(1, [rec('a', 3), rec('b', 1)], nothingStored)).not.toThrow();
    expect(() => own.assertFresh(1, [rec('a', 2)], nothingStored)).toThrow(/duplicate event gid=a seq=2 in partition 1/);
    expect(() => own.assertFresh(1, [rec('b', 4)], (gid) => (gid === 'b' ? 4 : 0))).toThrow(Internal);
    expect(() => own.assertFresh(1, [rec('c', 1), rec('c', 1)], nothingStored)).toThrow(/gid=c seq=1/);
    const stored: string[] = [];
    own.assertFresh(1, [rec('d', 1), rec('d', 2), rec('e', 1)], (gid) => (stored.push(gid), 0));
    expect(stored).toEqual(['d', 'e']); // the replica is asked once per gid
  });
});

describe('strayGid', () => {
  it('names the first gid of another partition', () => {
    const gids = Array.from({ length: 40 }, (_, i) => `g${i}`);
    const p0 = gids.filter((g) => partitionOf(g, 4) === 0);
    const other = gids.find((g) => partitionOf(g, 4) !== 0)!;
    expect(strayGid(0, p0.map((gid) => ({ gid })), 4)).toBeUndefined();
    expect(strayGid(0, [...p0, other, ...p0].map((gid) => ({ gid })), 4)).toBe(other);
    expect(strayGid(0, [], 4)).toBeUndefined();
  });
});
