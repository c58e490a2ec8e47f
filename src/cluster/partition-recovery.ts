import { isFinal, type TransTypeRegistry } from '../../machines/index.js';
import { foldRecords, LiveTransaction } from '../engine/live-transaction.js';
import { partitionOf } from '../log/gid-partitioner.js';
import type { LogRecord } from '../log/event-log.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';
import type { SnapshotRecord } from '../log/kafka/snapshot-codec.js';

export interface PartitionRecovery {
  readonly live: LiveTransaction[];
  /** events the recovered state stands for (snapshot-covered + folded) */
  readonly events: number;
  /** events folded through the machines (the tail after the snapshots) */
  readonly folded: number;
  /** gids with a stored snapshot that are no longer open (to be tombstoned) */
  readonly stale: string[];
  /** transactions that could not be rebuilt (left out, logged by the caller) */
  readonly failed: Array<{ gid: string; error: string }>;
}

/**
 * Rebuilds the unfinished transactions of `partitions` (each claimed: `log.claim(p)`) in one pass
 * over the replica's open transactions: each starts from its snapshot in `<prefix>.snapshots` when
 * one exists and only the events after the snapshot's seq are folded; without one, all its events.
 */
export async function recoverPartitions(log: KafkaEventLog, registry: TransTypeRegistry, partitions: ReadonlySet<number>): Promise<Map<number, PartitionRecovery>> {
  const count = log.settings.partitions;
  const out = new Map<number, { live: LiveTransaction[]; events: number; folded: number; open: Set<string>; failed: Array<{ gid: string; error: string }> }>();
  for (const p of partitions) out.set(p, { live: [], events: 0, folded: 0, open: new Set(), failed: [] });
  for await (const { gid, records } of log.scanOpen((g) => partitions.has(partitionOf(g, count)))) {
    const p = partitionOf(gid, count);
    const acc = out.get(p)!;
    acc.open.add(gid);
    try {
      const { tx, events, folded } = recoverOne(registry, gid, records, log.replica.snapshots.of(p).states.get(gid));
      acc.events += events;
      acc.folded += folded;
      if (tx !== undefined && !isFinal(tx.status)) acc.live.push(tx);
    } catch (err) {
      // one transaction that cannot be rebuilt never stops the takeover of its partition
      acc.failed.push({ gid, error: String(err) });
    }
  }
  const result = new Map<number, PartitionRecovery>();
  for (const [p, acc] of out) {
    const stale = [...log.replica.snapshots.of(p).states.keys()].filter((g) => !acc.open.has(g));
    result.set(p, { live: acc.live, events: acc.events, folded: acc.folded, stale, failed: acc.failed });
  }
  return result;
}

function recoverOne(registry: TransTypeRegistry, gid: string, records: readonly LogRecord[], s: SnapshotRecord | undefined): { tx: LiveTransaction | undefined; events: number; folded: number } {
  const def = s === undefined ? undefined : registry.get((s.context as { transType?: string }).transType ?? '');
  if (s === undefined || def === undefined || (records.at(-1)?.seq ?? 0) < s.seq) {
    return { tx: foldRecords(registry, gid, records), events: records.length, folded: records.length };
  }
  const tx = LiveTransaction.restore(gid, def, s, s.seq, s.cmds);
  const tail = records.filter((r) => r.seq > s.seq);
  for (const r of tail) tx.apply(r);
  return { tx, events: s.seq + tail.length, folded: tail.length };
}

/**
 * Takeovers that reach recovery in the same event-loop turn (a rebalance hands several partitions
 * over at once) share one pass over the open transactions instead of one pass each.
 */
export class RecoveryRounds {
  #next: { partitions: Set<number>; result: Promise<Map<number, PartitionRecovery>> } | undefined;

  constructor(
    private readonly log: KafkaEventLog,
    private readonly registry: TransTypeRegistry,
  ) {}

  async recover(p: number): Promise<PartitionRecovery> {
    if (this.#next === undefined) {
      const partitions = new Set<number>();
      const result = new Promise<Map<number, PartitionRecovery>>((resolve, reject) => {
        setImmediate(() => {
          this.#next = undefined;
          recoverPartitions(this.log, this.registry, partitions).then(resolve, reject);
        });
      });
      this.#next = { partitions, result };
    }
    this.#next.partitions.add(p);
    return (await this.#next.result).get(p)!;
  }
}
