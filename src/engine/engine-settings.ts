import type { Limits } from '../../machines/index.js';
import { AUTO_PARTITIONS, embeddedMaxViewChars, KAFKA_MAX_VIEW_CHARS, type ResolvedConfig } from '../config/index.js';

/** The engine's view of the configuration (seconds converted where the engine needs ms). */
export interface EngineSettings {
  readonly partitions: number;
  /** captured into every new transaction (TransCreated.limits) */
  readonly limits: Limits;
  readonly alertWebHook: string;
  /** most commands a partition decides before one append */
  readonly maxBatch: number;
  /** cap on the request bytes of open transactions (MaxOpenPayloadBytes) */
  readonly maxOpenPayloadBytes: number;
  /** longest view a transaction may render (config/store-limits.ts); none when undefined */
  readonly maxViewChars?: number;
  /**
   * A transaction's machine state goes to the log with its row each time its events pass a
   * multiple of this (StoredState: recovery and loads start there); 0 or undefined = never.
   */
  readonly stateEvery?: number;
}

/**
 * Events between two stored states of one transaction: about 1,000 retries. Both logs keep them:
 * the embedded one in its `states` table, Kafka in the projection header of the event that passes
 * the multiple, copied into every worker's replica (a finished transaction is loaded from there).
 */
export const STATE_EVERY_EVENTS = 2000;

/**
 * `partitions`: the count the log settled on (a Kafka worker adopts its topics'); by default the
 * configured one, or the embedded log's automatic count.
 */
export function engineSettingsOf(config: ResolvedConfig, partitions = config.Store.Partitions || AUTO_PARTITIONS.sqlite): EngineSettings {
  return {
    partitions,
    limits: {
      retryInterval: config.RetryInterval,
      timeoutToFail: config.TimeoutToFail,
      requestTimeout: config.RequestTimeout,
      maxRetryInterval: config.MaxRetryInterval,
      alertRetryLimit: config.AlertRetryLimit,
    },
    alertWebHook: config.AlertWebHook,
    maxBatch: 512,
    maxOpenPayloadBytes: config.MaxOpenPayloadBytes,
    maxViewChars: config.Store.Driver === 'kafka' ? KAFKA_MAX_VIEW_CHARS : embeddedMaxViewChars(config.HttpMaxBodyBytes),
    stateEvery: STATE_EVERY_EVENTS,
  };
}
