import type { ResolvedConfig } from '../../config/index.js';

/** The Kafka adapter's view of the configuration (DESIGN §4, Store.Driver kafka). */
export interface KafkaSettings {
  readonly brokers: readonly string[];
  /** topic, group and transactional-id prefix */
  readonly prefix: string;
  /**
   * partitions of every dtx topic; the engine routes gids with the same count. `0` (automatic) only
   * in the settings given to `KafkaEventLog.open`, which adopts the topics' count: every holder
   * after it sees the resolved count (`log.settings`).
   */
  readonly partitions: number;
  readonly sessionTimeoutMs: number;
  /** this worker's name in Kafka client ids and logs */
  readonly clientId: string;
}

export interface KafkaTopics {
  /** commands keyed by gid, consumed by the worker group: assignment is ownership */
  readonly commands: string;
  /** the event log keyed by gid: never compacted, the audit record */
  readonly events: string;
  /** compacted, keyed by gid: latest machine snapshot of each live transaction */
  readonly snapshots: string;
}

export function topicsOf(prefix: string): KafkaTopics {
  return { commands: `${prefix}.commands`, events: `${prefix}.events`, snapshots: `${prefix}.snapshots` };
}

/** The transactional id that fences partition `p`'s writer (DESIGN §2). */
export function transactionalIdOf(prefix: string, p: number): string {
  return `${prefix}-p${p}`;
}

/** The consumer group of the workers on the commands topic. */
export function workerGroupOf(prefix: string): string {
  return `${prefix}.workers`;
}

export function kafkaSettingsOf(config: ResolvedConfig, clientId: string): KafkaSettings {
  return {
    brokers: config.Store.KafkaBrokers,
    prefix: config.Store.KafkaPrefix,
    partitions: config.Store.Partitions,
    sessionTimeoutMs: config.Store.KafkaSessionTimeout * 1000,
    clientId,
  };
}
