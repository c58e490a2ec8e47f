/**
 * The stores dtx runs on and the bounds each one sets: its partitions by default and, for Kafka,
 * the sizes its record batches can carry (docs/kafka.md "Message sizes"). Read by the config schema
 * and by the engine's settings.
 */

/** Drivers dtx can run on. `boltdb` is accepted on input and resolved to `sqlite`. */
export const STORE_DRIVERS = ['sqlite', 'kafka'] as const;
/** dtm drivers that dtx refuses: its log lives in embedded sqlite or in kafka, never in these. */
export const REFUSED_STORE_DRIVERS: readonly string[] = ['redis', 'mysql', 'postgres', 'sqlserver'];
export type StoreDriver = (typeof STORE_DRIVERS)[number];

/**
 * What `Store.Partitions: 0` (the default) stands for. The embedded log runs one processor (the
 * count persists nowhere): its batches then hold every command that arrived while the commit before
 * was being made durable, where 16 processors each decided and settled a few of them for the same
 * group commit, at more CPU per saga (docs/benchmarks.md, "One partition for the embedded log").
 * A Kafka worker adopts the partition count of existing topics and creates missing ones with 4:
 * every partition commits its own Kafka transactions, so fewer partitions are faster for a few
 * workers (docs/kafka.md, "Fewer partitions, larger transactions"), and 4 still lets four workers
 * share the load.
 */
export const AUTO_PARTITIONS = Object.freeze({ sqlite: 1, kafka: 4 });

/**
 * `HttpMaxBodyBytes` with `Store.Driver: kafka`. A transaction's event carries its request in the
 * record and again, escaped twice, in the projection header: a 1 MiB gRPC payload of control
 * characters made an 11.5 MB record. 4 MiB keeps such an event (~46 MB) under the 64 MiB record
 * batch dtx sets on its topics (src/log/kafka/message-chunks.ts).
 */
export const KAFKA_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Characters of one transaction's view (its projection row) with `Store.Driver: kafka`. Every
 * event repeats the view in a header (at most 3 bytes a character: 36 MiB), beside its record (at
 * most ~24 MiB: a 4 MiB request of control characters, escaped): together under the topics' 64 MiB
 * record batch. Without it a tcc or workflow registering large branch data could grow its view
 * past that batch, and the batches holding its events would fail for ever. A 1 MiB gRPC payload of
 * control characters renders 9.0 Mi characters and still fits. A command that would pass the
 * bound fails alone (413 DTX_PAYLOAD_TOO_LARGE, or the transaction parks when dtx's own acting
 * caused it).
 */
export const KAFKA_MAX_VIEW_CHARS = 12 * 1024 * 1024;

/**
 * The view bound of the embedded log: 16 characters per byte of the largest request (a 1 MiB gRPC
 * payload of control characters renders 9.0 Mi), at least 16 Mi, below V8's longest string (~512 Mi
 * characters, past which rendering fails with a RangeError). Without it, registrations adding up
 * to MaxOpenPayloadBytes could make every command re-render a view of hundreds of MB.
 */
export function embeddedMaxViewChars(maxBodyBytes: number): number {
  return Math.min(480 * 2 ** 20, Math.max(16 * 2 ** 20, 16 * maxBodyBytes));
}
