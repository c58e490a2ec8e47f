import { isFinal, type TransTypeRegistry } from '../../machines/index.js';
import { eventOfRecord, foldRecords, LiveTransaction } from '../engine/live-transaction.js';
import { partitionOf } from '../engine/murmur2.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';

export interface PartitionRecovery {
  readonly live: LiveTransaction[];
  /** events the recovered state stands for (snapshot-covered + folded) */
  readonly events: number;
  /** events folded through the machines (the tail after the snapshots) */
  readonly folded: number;
  /** gids with a stored snapshot that are no longer open (to be tombstoned) */
  readonly stale: string[];
}

/**
 * Rebuilds partition `p`'s unfinished transactions after `log.claim(p)`: each open transaction
 * (from the replica's projection) starts from its snapshot in `<prefix>.snapshots` when one
 * exists and only the events after the snapshot's seq are folded; without one, all its events are.
 */
export async function recoverPartition(log: KafkaEventLog, registry: TransTypeRegistry, p: number): Promise<PartitionRecovery> {
  const { states } = log.replica.snapshots.of(p);
  const partitions = log.settings.partitions;
  const live: LiveTransaction[] = [];
  const open = new Set<string>();
  let events = 0;
  let folded = 0;
  for await (const { gid, records } of log.scanOpen((g) => partitionOf(g, partitions) === p)) {
    open.add(gid);
    const s = states.get(gid);
    const def = s === undefined ? undefined : registry.get((s.context as { transType?: string }).transType ?? '');
    let tx: LiveTransaction | undefined;
    if (s !== undefined && def !== undefined && (records.at(-1)?.seq ?? 0) >= s.seq) {
      tx = LiveTransaction.restore(gid, def, s, s.seq, s.cmds);
      const tail = records.filter((r) => r.seq > s.seq);
      for (const r of tail) {
        tx.snapshot = tx.step(eventOfRecord(r))[0];
        tx.seq = r.seq;
        tx.remember(r.cmd);
      }
      events += s.seq + tail.length;
      folded += tail.length;
    } else {
      tx = foldRecords(registry, gid, records);
      events += records.length;
      folded += records.length;
    }
    if (tx !== undefined && !isFinal(tx.status)) live.push(tx);
  }
  const stale = [...states.keys()].filter((g) => !open.has(g));
  return { live, events, folded, stale };
}
