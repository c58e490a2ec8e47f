import type { Logger } from 'pino';
import { isFinal } from '../../machines/index.js';
import { storedStateOf, type LiveTransaction } from '../engine/live-transaction.js';
import type { KafkaEventLog } from '../log/kafka/kafka-event-log.js';
import type { SnapshotRecord } from '../log/kafka/snapshot-codec.js';

interface PartitionState {
  /** open transactions changed since the last snapshot */
  dirty: Map<string, LiveTransaction>;
  /** gids whose stored snapshot must be tombstoned (finished, or no longer open at a takeover) */
  tombstones: Set<string>;
  /**
   * gids whose latest record in `<prefix>.snapshots` is (or is being written as) a state: only
   * these need a tombstone when they finish. A superset is harmless (an extra tombstone).
   */
  readonly stored: Set<string>;
  events: number;
  writing: boolean;
}

/** What the writer holds in memory, for tests and metrics: everything is bounded by the open transactions. */
export interface SnapshotBacklog {
  readonly dirty: number;
  readonly tombstones: number;
  readonly stored: number;
}

/**
 * Takes partition snapshots (DESIGN §4) on the owner: after every `every` events committed in a
 * partition, the machine snapshots of the transactions changed since the previous snapshot go to
 * `<prefix>.snapshots` (incremental: the topic is compacted by gid, so untouched transactions keep
 * their earlier record), and tombstones for those that finished since. States are captured
 * synchronously right after a commit, when the partition's memory equals the durable log.
 *
 * Memory: only open transactions are held. A finished one is dropped at once; it leaves at most
 * its gid behind, and only when a state of it was stored (a transaction that starts and finishes
 * between two snapshots costs nothing here).
 */
export class SnapshotWriter {
  readonly #parts = new Map<number, PartitionState>();

  constructor(
    private readonly log: KafkaEventLog,
    private readonly every: number,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Engine hook: a batch of partition `p` is durable; `touched` are in their new state. */
  committed(p: number, touched: readonly LiveTransaction[], records: number): void {
    if (this.every <= 0) return;
    const part = this.#part(p);
    for (const live of touched) {
      if (!isFinal(live.status)) {
        part.dirty.set(live.gid, live);
        continue;
      }
      part.dirty.delete(live.gid);
      if (part.stored.delete(live.gid)) part.tombstones.add(live.gid);
    }
    part.events += records;
    if (part.events >= this.every && !part.writing) this.#write(p, part);
  }

  /**
   * After a takeover: the gids of partition `p`'s stored snapshots, split into those whose
   * transaction is still open and those that are not (to be tombstoned by the next snapshot).
   */
  seed(p: number, stored: readonly string[], stale: readonly string[]): void {
    const part = this.#part(p);
    for (const g of stored) part.stored.add(g);
    for (const g of stale) part.tombstones.add(g);
  }

  /** The partition moved away: forget what was pending for it. */
  forget(p: number): void {
    this.#parts.delete(p);
  }

  /** What is held for the owned partitions (a leak shows up here first). */
  backlog(): SnapshotBacklog {
    let dirty = 0;
    let tombstones = 0;
    let stored = 0;
    for (const part of this.#parts.values()) {
      dirty += part.dirty.size;
      tombstones += part.tombstones.size;
      stored += part.stored.size;
    }
    return { dirty, tombstones, stored };
  }

  #part(p: number): PartitionState {
    let part = this.#parts.get(p);
    if (part === undefined) {
      part = { dirty: new Map(), tombstones: new Set(), stored: new Set(), events: 0, writing: false };
      this.#parts.set(p, part);
    }
    return part;
  }

  #write(p: number, part: PartitionState): void {
    const states: SnapshotRecord[] = [];
    const finished = [...part.tombstones];
    for (const live of part.dirty.values()) {
      if (isFinal(live.status)) {
        finished.push(live.gid);
        continue;
      }
      states.push({ v: 1, gid: live.gid, ...storedStateOf(live) });
      part.stored.add(live.gid);
    }
    for (const g of finished) part.stored.delete(g);
    const taken = part.dirty;
    const events = part.events;
    part.dirty = new Map();
    part.tombstones = new Set();
    part.events = 0;
    part.writing = true;
    const t0 = performance.now();
    this.log
      .writeSnapshot(p, states, finished, states.length, this.now())
      .then(() => this.logger.debug({ partition: p, states: states.length, tombstones: finished.length, events, ms: Math.round(performance.now() - t0) }, 'snapshot written'))
      .catch((err: unknown) => {
        // Not fatal: recovery folds more events. Keep the changes for the next attempt.
        this.logger.warn({ err, partition: p }, 'snapshot write failed');
        const current = this.#parts.get(p);
        if (current !== part) return;
        for (const [gid, live] of taken) if (!current.dirty.has(gid) && !isFinal(live.status) && current.stored.has(gid)) current.dirty.set(gid, live);
        for (const g of finished) current.tombstones.add(g);
        current.events += events;
      })
      .finally(() => {
        const current = this.#parts.get(p);
        if (current !== undefined) current.writing = false;
      });
  }
}
