import { isFinal, type TransTypeRegistry } from '../../machines/index.js';
import { foldRecords, foldStored, type LiveTransaction } from '../engine/live-transaction.js';
import { partitionOf } from '../log/gid-partitioner.js';
import type { LogRecord, StoredState } from '../log/event-log.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';

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
 * Rebuilds the unfinished transactions of `partitions` (each claimed: `log.claim(p)`, so the
 * replica holds everything committed to them) in one pass over the replica's open transactions:
 * each starts from the newer of its snapshot in `<prefix>.snapshots` (when the replica's events
 * reach it) and the stored state its events carried into the replica (every STATE_EVERY_EVENTS of
 * its events; `Store.SnapshotEvery: 0` writes no snapshots), and only the events after that seq
 * are read and folded; otherwise all its events.
 */
export async function recoverPartitions(log: KafkaEventLog, registry: TransTypeRegistry, partitions: ReadonlySet<number>): Promise<Map<number, PartitionRecovery>> {
  const count = log.settings.partitions;
  const out = new Map<number, { live: LiveTransaction[]; events: number; folded: number; open: Set<string>; failed: Array<{ gid: string; error: string }> }>();
  for (const p of partitions) out.set(p, { live: [], events: 0, folded: 0, open: new Set(), failed: [] });
  const starts = new Map<string, StoredState>();
  // a state the fold cannot start from (its type gone, a context that is not one) leaves the gid to the full fold, which fails it alone
  const usable = (s: StoredState | undefined): s is StoredState => {
    const transType = (s?.context as { transType?: unknown } | null | undefined)?.transType;
    return s !== undefined && typeof transType === 'string' && registry.get(transType) !== undefined;
  };
  const from = (gid: string): number => {
    const snapshot = log.replica.snapshots.of(partitionOf(gid, count)).states.get(gid);
    const stored = log.replica.log.storedState(gid);
    let s: StoredState | undefined = usable(snapshot) && log.replica.log.maxSeq(gid) >= snapshot.seq ? snapshot : undefined;
    if (usable(stored) && stored.seq > (s?.seq ?? 0)) s = stored; // copied with its events: the replica reaches it
    if (s === undefined) return 0;
    starts.set(gid, s);
    return s.seq;
  };
  for (const { gid, records } of log.replica.log.openAfterSeq((g) => partitions.has(partitionOf(g, count)), from)) {
    const acc = out.get(partitionOf(gid, count))!;
    acc.open.add(gid);
    try {
      const { tx, events, folded } = recoverOne(registry, gid, records, starts.get(gid));
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

/** `records`: the events after `s.seq` when a starting state is given, else all of them. */
function recoverOne(registry: TransTypeRegistry, gid: string, records: LogRecord[], s: StoredState | undefined): { tx: LiveTransaction | undefined; events: number; folded: number } {
  if (s === undefined) return { tx: foldRecords(registry, gid, records), events: records.length, folded: records.length };
  const tx = foldStored(registry, gid, { state: s, records });
  return { tx, events: s.seq + records.length, folded: records.length };
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
