import type { Message, KafkaMessage } from 'kafkajs';
import type { StoredState } from '../event-log.js';

/**
 * Records of `<prefix>.snapshots` (compacted, DESIGN §4 "Snapshots"). A partition snapshot is one
 * Kafka transaction on the partition's fenced producer holding:
 * - for every transaction changed since the previous snapshot: key = gid, value = its machine
 *   snapshot at `seq` (`SnapshotRecord`), or a null value (tombstone) when it has finished, so
 *   compaction keeps exactly the live ones;
 * - last, the marker: key = '' (no gid is empty), value = `SnapshotMarker`.
 * The transaction makes them visible together; the marker says which events they cover.
 */
/** A transaction's machine state at `seq` (StoredState: value, context, recent command ids, parked). */
export interface SnapshotRecord extends StoredState {
  readonly v: 1;
  readonly gid: string;
}

export interface SnapshotMarker {
  readonly v: 1;
  readonly partition: number;
  /** events-topic offset of the last event the snapshot covers */
  readonly eventsOffset: number;
  readonly at: number;
  /** transactions whose state this snapshot (re)wrote; the others keep their earlier record */
  readonly live: number;
}

const MARKER_KEY = '';

export function encodeSnapshot(r: SnapshotRecord): Message {
  return { key: r.gid, value: JSON.stringify(r) };
}

export function encodeTombstone(gid: string): Message {
  return { key: gid, value: null };
}

export function encodeMarker(m: SnapshotMarker): Message {
  return { key: MARKER_KEY, value: JSON.stringify(m) };
}

export type DecodedSnapshot =
  | { readonly kind: 'state'; readonly record: SnapshotRecord }
  | { readonly kind: 'tombstone'; readonly gid: string }
  | { readonly kind: 'marker'; readonly marker: SnapshotMarker };

export function decodeSnapshotMessage(m: KafkaMessage): DecodedSnapshot | undefined {
  const key = m.key?.toString('utf8');
  if (key === undefined) return undefined;
  if (m.value === null) return key === MARKER_KEY ? undefined : { kind: 'tombstone', gid: key };
  const value = JSON.parse(m.value.toString('utf8')) as SnapshotRecord | SnapshotMarker;
  if (value.v !== 1) return undefined;
  return key === MARKER_KEY ? { kind: 'marker', marker: value as SnapshotMarker } : { kind: 'state', record: value as SnapshotRecord };
}
