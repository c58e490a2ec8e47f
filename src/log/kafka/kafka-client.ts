import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import { kafkaLogLines } from './kafka-log-lines.js';
import { BrokersUnreachable, errorChain, OAuthTokenFailure } from '../../errors.js';
import type { Logger } from 'pino';
import { workerGroupOf, type KafkaSaslOptions, type KafkaSettings } from './kafka-settings.js';
import { withKafkaRetry } from './kafka-retry.js';
import { refusalOfLogEntry } from './broker-refusal.js';
import { firstToken, REAUTH_THRESHOLD_MS } from './oauth-token-source.js';

/**
 * kafkajs's retry of every request (producers override `retries`): each option is set, because
 * kafkajs picks other defaults when NODE_ENV is `test` (a 1 s cap on the backoff). 100 ms doubling
 * up to 3 s, 8 retries: about 12 s before a call gives up, enough for a broker on a busy machine
 * to move a leader or load a coordinator. What kafkajs does not retry (an admin call that bails,
 * retries run out) is retried by the callers (`withKafkaRetry`).
 */
const RETRY = { initialRetryTime: 100, maxRetryTime: 3000, factor: 0.2, multiplier: 2, retries: 8 };

/**
 * One kafkajs client per worker, logging through pino (component `kafka`, kafka-log-lines.ts).
 * Connecting may take 5 s (kafkajs's 1 s is short for a busy machine); requests time out after 30 s.
 * TLS and SASL as `settings` say (`Store.KafkaTls`, `Store.KafkaSasl`, their files followed while
 * running); kafkajs never logs the password.
 * Every ACL refusal the client logs goes to `refused` (broker-refusal.ts: some are logged, not thrown).
 */
export function createKafka(settings: KafkaSettings, logger: Logger, refused: (err: Error) => void = () => undefined): Kafka {
  const log = logger.child({ component: 'kafka' });
  const failures: string[] = [];
  const write = kafkaLogLines(log);
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.INFO,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    reauthenticationThreshold: REAUTH_THRESHOLD_MS,
    retry: RETRY,
    // as they are: their files' getters are read at each connection (`LiveSetting`); kafkajs sets
    // its authenticator on the sasl object it gets, so it gets one of its own on top of ours
    ...(settings.tls !== undefined ? { ssl: settings.tls } : {}),
    ...(settings.sasl !== undefined ? { sasl: Object.create(settings.sasl) as KafkaSaslOptions } : {}),
    logCreator: () => (entry: LogEntry) => {
      write(entry);
      const { message, ...extra } = entry.log;
      if (entry.namespace === 'Connection' && entry.level === logLevel.ERROR) remember(failures, String(message ?? ''));
      const refusal = entry.level === logLevel.ERROR ? refusalOfLogEntry(message, extra.error) : undefined;
      if (refusal !== undefined) refused(refusal);
    },
  });
  connectionFailures.set(kafka, failures);
  return kafka;
}

/**
 * The connection errors kafkajs logged for a client, newest last. A failed connect reports only its
 * last try's error, which on a busy machine may be a timeout after tries the broker refused for a
 * reason (an untrusted certificate): the hint looks at all of them.
 */
const connectionFailures = new WeakMap<Kafka, string[]>();

function remember(failures: string[], message: string): void {
  if (failures.includes(message)) return;
  failures.push(message);
  if (failures.length > 8) failures.shift();
}

/**
 * A connected admin client of `kafka`; BrokersUnreachable when none answers, the token endpoint's
 * OAuthTokenFailure when it gives no token.
 */
export async function connectedAdmin(kafka: Kafka, settings: KafkaSettings): Promise<Admin> {
  if (settings.sasl?.mechanism === 'oauthbearer') await firstToken(settings.sasl.oauthBearerProvider);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    // kafkajs wraps what it gave up on: the token endpoint's failure, if that was the cause, is the line
    const token = errorChain(err).find((e) => e instanceof OAuthTokenFailure);
    if (token !== undefined) throw token;
    const message = err instanceof Error ? err.message : String(err);
    const hint = connectHint([message, ...(connectionFailures.get(kafka) ?? [])].join('\n'), settings);
    throw new BrokersUnreachable(`cannot reach the Kafka brokers ${settings.brokers.join(',')} (Store.KafkaBrokers / STORE_KAFKA_BROKERS): ${message}${hint === '' ? '' : `; ${hint}`}`, { cause: err });
  }
  return admin;
}

/**
 * Rejects with the broker's GROUP_AUTHORIZATION_FAILED when this user may not use dtx's consumer
 * groups (a missing group ACL): caught at start, not later by consumers that would join nothing
 * and leave the worker serving no partition. Finding a group's coordinator needs Describe on it;
 * a group that does not exist yet is answered too.
 */
export async function checkGroupAccess(admin: Admin, settings: KafkaSettings): Promise<void> {
  await withKafkaRetry('consumer group access check', () => admin.describeGroups([workerGroupOf(settings.prefix)]));
}

/**
 * What to check when the brokers refuse the connection at the TLS or SASL stage: kafkajs's own
 * message names the symptom (a closed connection, an OpenSSL alert), not the setting behind it.
 */
export function connectHint(message: string, settings: Pick<KafkaSettings, 'tls' | 'sasl'>): string {
  if (/authentication failed|SASL/i.test(message)) {
    return settings.sasl?.mechanism === 'oauthbearer'
      ? 'the brokers refused the OAuth token: its audience, issuer, subject or signing key does not match their sasl.oauthbearer.* settings (Store.KafkaSasl.TokenEndpoint and Scope, or the token in TokenFile)'
      : 'the brokers refused the SASL user or password (Store.KafkaSasl)';
  }
  if (/certificate|self.signed|unable to verify/i.test(message)) {
    return /alert (bad certificate|certificate required)|alert number (42|116)/.test(message)
      ? 'the brokers refused the client certificate (Store.KafkaTls.CertFile and KeyFile)'
      : 'the brokers\' certificate is not trusted or not for this host (Store.KafkaTls.CaFile, Store.KafkaBrokers)';
  }
  if (settings.tls === undefined && /Closed connection|ECONNRESET/.test(message)) {
    return 'a broker that closes the connection at once may be a TLS listener (Store.KafkaTls.Enable) or want SASL (Store.KafkaSasl)';
  }
  return '';
}
