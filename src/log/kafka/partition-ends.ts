import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { withKafkaRetry } from './kafka-retry.js';
import { topicsOf } from './kafka-settings.js';

/** How often `stablePast` asks the broker again; the markers of a commit land within milliseconds. */
const STABLE_POLL_MS = 2;

/** How long `stablePast` waits before it gives up (the commit stands; a reader may see it late). */
const STABLE_TIMEOUT_MS = 10_000;

/**
 * Where the events and snapshots topics of a prefix end, per partition, as a read_committed reader
 * sees them: kafkajs's ListOffsets asks for the last stable offset (LSO), which stops before the
 * first transaction not yet committed or aborted. A commit is acknowledged when EndTxn returns,
 * and its markers are written after that, so for a moment the LSO can stop before a commit a
 * client already saw acknowledged; `stablePast` waits that moment out.
 */
export class PartitionEnds {
  constructor(
    private readonly admin: Admin,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly stopped: () => boolean,
  ) {}

  /** End offsets (LSOs) of the events and the snapshots topic, per partition. */
  async both(): Promise<[Map<number, number>, Map<number, number>]> {
    const topics = topicsOf(this.prefix);
    return Promise.all([this.#ends(topics.events), this.#ends(topics.snapshots)]);
  }

  /** End offsets (LSOs) of the events topic, per partition. */
  events(): Promise<Map<number, number>> {
    return this.#ends(topicsOf(this.prefix).events);
  }

  /**
   * Resolves once the events topic's partition `p` is stable past `offset`: a reader that takes
   * its end from now on waits for everything up to `offset` (a commit's last record).
   */
  async stablePast(p: number, offset: number): Promise<void> {
    const deadline = performance.now() + STABLE_TIMEOUT_MS;
    while (!this.stopped()) {
      if (((await this.events()).get(p) ?? 0) > offset) return;
      if (performance.now() >= deadline) {
        this.logger.warn({ partition: p, offset }, 'a commit is not stable after 10 s; readers of other workers may see it late');
        return;
      }
      await new Promise((r) => setTimeout(r, STABLE_POLL_MS));
    }
  }

  // retried: right after the topics were created their partitions may have no leader yet
  async #ends(topic: string): Promise<Map<number, number>> {
    const offsets = await withKafkaRetry(`fetchTopicOffsets ${topic}`, () => this.admin.fetchTopicOffsets(topic), { logger: this.logger, stopped: this.stopped });
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }
}
