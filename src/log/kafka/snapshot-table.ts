import type { DecodedSnapshot, SnapshotMarker, SnapshotRecord } from './snapshot-codec.js';

interface PartitionSnapshot {
  marker: SnapshotMarker | undefined;
  readonly states: Map<string, SnapshotRecord>;
}

/**
 * The latest snapshot of every partition, as the replica reads `<prefix>.snapshots` (a compacted
 * topic, so reading it from the start is cheap). Records apply in log order; a takeover reads a
 * partition only after the replica caught up with the topic, when the last marker is complete.
 */
export class SnapshotTable {
  readonly #partitions = new Map<number, PartitionSnapshot>();

  apply(p: number, s: DecodedSnapshot): void {
    let part = this.#partitions.get(p);
    if (part === undefined) {
      part = { marker: undefined, states: new Map() };
      this.#partitions.set(p, part);
    }
    switch (s.kind) {
      case 'state':
        part.states.set(s.record.gid, s.record);
        break;
      case 'tombstone':
        part.states.delete(s.gid);
        break;
      case 'marker':
        part.marker = s.marker;
        break;
    }
  }

  /** The machine snapshots of partition `p`'s live transactions at its last marker, by gid. */
  of(p: number): { marker: SnapshotMarker | undefined; states: ReadonlyMap<string, SnapshotRecord> } {
    const part = this.#partitions.get(p);
    return { marker: part?.marker, states: part?.states ?? new Map() };
  }
}
