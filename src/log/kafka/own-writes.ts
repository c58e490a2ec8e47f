import { Internal } from '../../errors.js';
import type { LogRecord, StoredTail } from '../event-log.js';

interface Written {
  readonly offset: number;
  readonly records: readonly LogRecord[];
}

/**
 * This worker's committed writes that its replica has not copied yet, per partition in offset
 * order. `read` merges them, so a transaction written a moment ago (and evicted from memory when it
 * finished) is never mistaken for an unknown gid.
 */
export class OwnWrites {
  readonly #byPartition = new Map<number, Written[]>();
  readonly #byGid = new Map<string, LogRecord[]>();

  add(p: number, lastOffset: number, records: readonly LogRecord[]): void {
    const list = this.#byPartition.get(p) ?? [];
    list.push({ offset: lastOffset, records });
    this.#byPartition.set(p, list);
    for (const r of records) this.#byGid.set(r.gid, [...(this.#byGid.get(r.gid) ?? []), r]);
  }

  /** Drops what the replica now holds (offsets below `position`). */
  prune(p: number, position: number): void {
    const list = this.#byPartition.get(p);
    if (list === undefined) return;
    let n = 0;
    while (n < list.length && list[n]!.offset < position) {
      for (const r of list[n]!.records) {
        const rest = (this.#byGid.get(r.gid) ?? []).filter((x) => x.seq !== r.seq);
        if (rest.length === 0) this.#byGid.delete(r.gid);
        else this.#byGid.set(r.gid, rest);
      }
      n += 1;
    }
    if (n > 0) list.splice(0, n);
  }

  /** Highest seq written for `gid` and not yet copied; 0 when none. */
  maxSeq(gid: string): number {
    return this.#byGid.get(gid)?.at(-1)?.seq ?? 0;
  }

  /**
   * Rejects a batch of partition `p` that repeats a (gid, seq) written before (here and not yet
   * copied, or `stored`: the replica's highest seq of a gid) or within itself: a seq or fencing
   * bug, never retried.
   */
  assertFresh(p: number, list: readonly LogRecord[], stored: (gid: string) => number): void {
    const known = new Map<string, number>();
    const seen = new Set<string>();
    for (const r of list) {
      let max = known.get(r.gid);
      if (max === undefined) {
        max = Math.max(this.maxSeq(r.gid), stored(r.gid));
        known.set(r.gid, max);
      }
      const key = `${r.gid}\u0000${r.seq}`;
      if (r.seq <= max || seen.has(key)) throw new Internal(`event log: duplicate event gid=${r.gid} seq=${r.seq} in partition ${p} (fencing or seq bug)`);
      seen.add(key);
    }
  }

  /** `stored` (from the replica) completed with the writes it does not hold yet, in seq order. */
  merge(gid: string, stored: readonly LogRecord[]): LogRecord[] {
    const mine = this.#byGid.get(gid);
    if (mine === undefined) return [...stored];
    const last = stored.at(-1)?.seq ?? 0;
    return [...stored, ...mine.filter((r) => r.seq > last)].sort((a, b) => a.seq - b.seq);
  }

  /** `tail` (from the replica) completed the same way: its state stays, only events after it. */
  mergeTail(gid: string, tail: StoredTail): StoredTail {
    if (tail.state === undefined) return { records: this.merge(gid, tail.records) };
    const after = tail.state.seq;
    return { state: tail.state, records: this.merge(gid, tail.records).filter((r) => r.seq > after) };
  }

  /** Per partition, the last offset written and not yet copied. */
  frontier(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const [p, list] of this.#byPartition) if (list.length > 0) out.push([p, list.at(-1)!.offset]);
    return out;
  }
}
