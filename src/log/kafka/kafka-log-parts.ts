import path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { RefusalSignal } from './broker-refusal.js';
import { cacheCoordinators } from './coordinator-cache.js';
import { EventReplica } from './event-replica.js';
import { checkGroupAccess, connectedAdmin, createKafka } from './kafka-client.js';
import type { KafkaSettings } from './kafka-settings.js';
import { ensureTopics } from './kafka-topics.js';
import { PartitionWriters } from './partition-writers.js';

export interface KafkaEventLogOptions {
  readonly settings: KafkaSettings;
  /** this worker's data dir: holds the replica (rebuildable from Kafka) */
  readonly dataDir: string;
  readonly logger: Logger;
  /** the audit's throwaway log: never creates the topics, and lets other connections read the replica file (parallel audit) */
  readonly audit?: boolean;
}

/** What a KafkaEventLog is made of, opened and connected. */
export interface KafkaLogParts {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** `opts.settings` with the topics' partition count */
  readonly settings: KafkaSettings;
  readonly replica: EventReplica;
  readonly writers: PartitionWriters;
  /** every client's ACL refusals (EventLog.failure) */
  readonly refusal: RefusalSignal;
}

/**
 * Connects, creates the topics when missing, checks the group ACL, opens the replica and starts
 * copying. Rejects at once when the brokers refuse an ACL on the way, where kafkajs would retry
 * (broker-refusal.ts); nothing stays open after a rejection.
 */
export async function openKafkaLogParts(opts: KafkaEventLogOptions, logger: Logger): Promise<KafkaLogParts> {
  const refusal = new RefusalSignal();
  const kafka = createKafka(opts.settings, opts.logger, refusal.report);
  const admin = await connectedAdmin(kafka, opts.settings);
  let replica: EventReplica | undefined;
  let settings = opts.settings;
  try {
    settings = { ...settings, partitions: await refusal.guard(ensureTopics(admin, settings, logger, opts.audit !== true)) };
    await refusal.guard(checkGroupAccess(admin, settings));
    replica = EventReplica.open(kafka, settings, path.join(opts.dataDir, 'kafka', settings.prefix), opts.logger, opts.audit === true);
    await refusal.guard(replica.start());
  } catch (err) {
    await replica?.stop();
    await admin.disconnect();
    throw err;
  }
  // The writers' producers get their own client: only they remember coordinators (coordinator-cache.ts).
  const writerKafka = createKafka(settings, opts.logger, refusal.report);
  cacheCoordinators(writerKafka);
  return { kafka, admin, settings, replica, writers: new PartitionWriters(writerKafka, settings, logger), refusal };
}
