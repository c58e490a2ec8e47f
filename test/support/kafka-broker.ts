/**
 * Where Kafka-backed tests find their broker.
 *
 * By default `test/support/kafka-global-setup.ts` starts a local single-node broker with
 * `scripts/kafka-local.sh` on TEST_KAFKA_PORT (19092, or env DTX_TEST_KAFKA_PORT). Setting
 * DTX_TEST_KAFKA_BROKERS (comma-separated host:port list) points the tests at an external broker
 * instead, and nothing is started.
 */
const externalBrokers = process.env.DTX_TEST_KAFKA_BROKERS?.trim();

export const TEST_KAFKA_PORT: number = parsePort(process.env.DTX_TEST_KAFKA_PORT, 19092);

/** True when DTX_TEST_KAFKA_BROKERS names an external broker (the global setup starts nothing). */
export const TEST_KAFKA_EXTERNAL: boolean = Boolean(externalBrokers);

/** `127.0.0.1:<port>` for the local test broker, or DTX_TEST_KAFKA_BROKERS verbatim. */
export const TEST_KAFKA_BROKERS: string = externalBrokers || `127.0.0.1:${TEST_KAFKA_PORT}`;

/** TEST_KAFKA_BROKERS split for kafkajs' `brokers` option. */
export const TEST_KAFKA_BROKER_LIST: string[] = TEST_KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    throw new Error(`DTX_TEST_KAFKA_PORT must be a port number below 65535 (the controller uses port+1), got '${raw}'`);
  }
  return port;
}
