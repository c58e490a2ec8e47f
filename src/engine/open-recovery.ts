import type { Logger } from 'pino';
import { isFinal, type TransTypeRegistry } from '../../machines/index.js';
import type { EventLog } from '../log/event-log.js';
import type { EngineObserver } from './engine-observer.js';
import { foldStored, type LiveTransaction } from './live-transaction.js';

/** The unfinished transactions of a log, rebuilt (`Engine.start`). */
export interface RebuiltOpen {
  readonly live: LiveTransaction[];
  /** events folded into `live` (after their stored states) */
  readonly events: number;
  /** transactions that could not be rebuilt (logged, observed as parked) */
  readonly failed: number;
}

/**
 * Folds every unfinished transaction of `log`. One that cannot be rebuilt (a bug, a type no longer
 * registered) is left out and reported; it never stops the recovery of the others.
 */
export async function rebuildOpen(log: EventLog, registry: TransTypeRegistry, logger: Logger, observer: EngineObserver | undefined): Promise<RebuiltOpen> {
  const live: LiveTransaction[] = [];
  let events = 0;
  let failed = 0;
  for await (const { gid, ...tail } of log.scanOpen()) {
    const records = tail.records;
    try {
      const t = foldStored(registry, gid, tail);
      if (t === undefined || isFinal(t.status)) continue;
      live.push(t);
      events += records.length;
    } catch (err) {
      failed += 1;
      logger.error({ err, gid, events: records.length }, 'transaction cannot be rebuilt from its events; left out of recovery (dtx replay shows why)');
      observer?.transactionParked?.('unknown');
    }
  }
  return { live, events, failed };
}
