import kafkajs, { type Admin, type IResourceConfig } from 'kafkajs';
import type { Logger } from 'pino';
import { AUTO_PARTITIONS } from '../../config/index.js';
import { errorChain, LogUnavailable } from '../../errors.js';
import { withKafkaRetry } from './kafka-retry.js';
import { TOPIC_MAX_MESSAGE_BYTES } from './message-chunks.js';
import { topicsOf, type KafkaSettings } from './kafka-settings.js';

/** Retention of the command stream: commands are consumed within seconds, a week is generous. */
const COMMANDS_RETENTION_MS = String(7 * 24 * 3600 * 1000);

// node sees only some of kafkajs's CommonJS exports as named ones: these two come from the default
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** The topic setting that bounds one record batch (message-chunks.ts). */
const MAX_MESSAGE_BYTES_ENTRY = { name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) };

/**
 * Creates dtx's three topics when missing, each with `Store.Partitions` partitions (automatic, 0:
 * `AUTO_PARTITIONS.kafka`) and `max.message.bytes` raised (message-chunks.ts; raised on existing
 * topics too, `raiseMessageSize`), and resolves to the partition count of the topics. It refuses topics
 * whose counts differ from each other, or from a `Store.Partitions` that is set: a gid must map to
 * the same partition in every topic and in the engine's router (DESIGN §4, co-partitioning); with
 * the automatic setting a worker adopts the count the topics have (and creates a missing one beside
 * existing ones with theirs). Safe when several workers start at
 * once: "already exists" from a concurrent creator is not an error. `admin` is connected by the caller.
 * Every admin call is retried on retriable broker answers: a topic created a moment ago may have no
 * leader or metadata yet, above all on a busy machine. A repeated createTopics finds the topics it
 * created ("already exists").
 */
export async function ensureTopics(admin: Admin, settings: KafkaSettings, logger: Logger, create = true): Promise<number> {
  const topics = topicsOf(settings.prefix);
  const retry = { logger };
  const wanted = [
    { topic: topics.commands, configEntries: [{ name: 'retention.ms', value: COMMANDS_RETENTION_MS }, MAX_MESSAGE_BYTES_ENTRY] },
    { topic: topics.events, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }, MAX_MESSAGE_BYTES_ENTRY] },
    { topic: topics.snapshots, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, MAX_MESSAGE_BYTES_ENTRY] },
  ];
  const existing = new Set(await withKafkaRetry('listTopics', () => admin.listTopics(), retry));
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0 && !create) {
    throw new LogUnavailable(`kafka topics ${missing.map((t) => t.topic).join(', ')} do not exist (Store.KafkaPrefix '${settings.prefix}')`);
  }
  const countOf = async (names: readonly string[]): Promise<number> =>
    partitionCountOf((await withKafkaRetry('fetchTopicMetadata', () => admin.fetchTopicMetadata({ topics: [...names] }), retry)).topics, settings.partitions);
  if (missing.length > 0) {
    // automatic: a topic missing beside existing ones (deleted by hand) gets their count
    const present = wanted.filter((t) => existing.has(t.topic)).map((t) => t.topic);
    const partitions = settings.partitions || (present.length > 0 ? await countOf(present) : AUTO_PARTITIONS.kafka);
    let replicationFactor = 0;
    const createMissing = async (attempt: number): Promise<boolean> => {
      // counted at each try: a retry after INVALID_REPLICATION_FACTOR asks again how many brokers there are
      replicationFactor = Math.min(3, (await admin.describeCluster()).brokers.length);
      if (attempt > 1) logger.warn({ attempt, replicationFactor }, 'kafka topics not created yet: trying again');
      return admin.createTopics({
        waitForLeaders: true,
        // how long the broker may take to create them, and kafkajs to wait for their leaders (default 5 s)
        timeout: 30_000,
        topics: missing.map((t) => ({ ...t, numPartitions: partitions, replicationFactor })),
      });
    };
    try {
      await withKafkaRetry('createTopics', createMissing, { ...retry, retriableToo: isBrokerUnregistered });
      logger.info({ topics: missing.map((t) => t.topic), partitions, replicationFactor }, 'kafka topics created');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  if (create) await raiseMessageSize(admin, wanted.filter((t) => existing.has(t.topic)).map((t) => t.topic), logger);
  return countOf(wanted.map((t) => t.topic));
}

/** The one partition count of dtx's topics; `configured` 0 accepts any count they share. */
function partitionCountOf(topics: ReadonlyArray<{ name: string; partitions: readonly unknown[] }>, configured: number): number {
  const counts = topics.map((t) => `${t.name}: ${t.partitions.length}`).sort().join(', ');
  const count = topics[0]?.partitions.length ?? 0;
  if (topics.some((t) => t.partitions.length !== count)) {
    throw new LogUnavailable(`kafka topics have different partition counts (${counts}): they must be equal (gids are routed by partition)`);
  }
  if (configured !== 0 && count !== configured) {
    throw new LogUnavailable(`kafka topics have ${count} partitions (${counts}) but Store.Partitions is ${configured}: they must be equal (gids are routed by partition); 0 adopts the topics' count`);
  }
  return count;
}

/**
 * The controller answered INVALID_REPLICATION_FACTOR although the factor asked is at most the
 * brokers the cluster's metadata listed a moment before: fewer are registered with the controller
 * right now (a broker fenced for a late heartbeat, or restarting; seen with one KRaft node on two
 * saturated cores: "only 0 broker(s) are registered"). Transient for this call: tried again.
 */
function isBrokerUnregistered(err: unknown): boolean {
  return errorChain(err).some((e) => e.type === 'INVALID_REPLICATION_FACTOR');
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: Array<{ type?: string }> } | undefined;
  if (e?.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e?.errors) && e.errors.length > 0 && e.errors.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
}

/**
 * Raises `max.message.bytes` of existing `topics` to `TOPIC_MAX_MESSAGE_BYTES` where it is lower
 * (topics created by an earlier dtx, or by hand, have Kafka's 1 MB). Kafka's AlterConfigs (the
 * one kafkajs offers) replaces a topic's whole set of overrides, so the request repeats the
 * overrides the topic has; a topic with a sensitive override (its value is not readable) is left
 * alone with a warning. A larger value set by the operator is kept.
 */
export async function raiseMessageSize(admin: Admin, topics: readonly string[], logger: Logger): Promise<void> {
  if (topics.length === 0) return;
  const retry = { logger };
  const described = await withKafkaRetry('describeConfigs', () => admin.describeConfigs({ resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })), includeSynonyms: false }), retry);
  const resources: Array<IResourceConfig & { from: number }> = [];
  for (const r of described.resources) {
    const overrides = r.configEntries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG);
    const current = Number(r.configEntries.find((e) => e.configName === MAX_MESSAGE_BYTES_ENTRY.name)?.configValue);
    if (Number.isFinite(current) && current >= TOPIC_MAX_MESSAGE_BYTES) continue;
    if (overrides.some((e) => e.isSensitive)) {
      logger.warn({ topic: r.resourceName, maxMessageBytes: current }, `kafka topic has a sensitive override: ${MAX_MESSAGE_BYTES_ENTRY.name} left as it is; large transactions may not be storable`);
      continue;
    }
    const kept = overrides.filter((e) => e.configName !== MAX_MESSAGE_BYTES_ENTRY.name).map((e) => ({ name: e.configName, value: e.configValue }));
    resources.push({ type: ConfigResourceTypes.TOPIC, name: r.resourceName, configEntries: [...kept, MAX_MESSAGE_BYTES_ENTRY], from: current });
  }
  if (resources.length === 0) return;
  await withKafkaRetry('alterConfigs', () => admin.alterConfigs({ validateOnly: false, resources: resources.map(({ from: _from, ...r }) => r) }), retry);
  logger.info({ topics: resources.map((r) => ({ topic: r.name, from: r.from })), to: TOPIC_MAX_MESSAGE_BYTES }, `kafka topics: ${MAX_MESSAGE_BYTES_ENTRY.name} raised`);
}
