import type { Logger } from 'pino';
import { invalidValue, LiveSetting, readSettingFile, readTlsFiles, type ResolvedConfig, type TlsFiles } from '../../config/index.js';
import { oauthBearerMechanism, type OAuthBearerMechanism } from './oauth-bearer-mechanism.js';
import { OAuthTokenSource } from './oauth-token-source.js';
import { TokenFileSource } from './oauth-token-file.js';

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
  /**
   * TLS to the brokers (`Store.KafkaTls`): PEM contents read and checked at start, and again when a
   * file changed (getters, read at each connection: `LiveSetting`); `{}` trusts the system CAs;
   * absent = plaintext
   */
  readonly tls?: TlsFiles;
  /** SASL authentication (`Store.KafkaSasl`); absent = none */
  readonly sasl?: KafkaSaslOptions;
}

/** One member per mechanism, as kafkajs's `SASLOptions` and `Mechanism`: each is assignable to one without a cast. */
export type KafkaSaslOptions =
  | {
      readonly [M in 'plain' | 'scram-sha-256' | 'scram-sha-512']: { readonly mechanism: M; readonly username: string; readonly password: string };
    }['plain' | 'scram-sha-256' | 'scram-sha-512']
  | OAuthBearerMechanism;

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

/**
 * The settings of `config`, reading its files (TLS, password): a config error before anything is
 * made. The TLS files, the password file, the token endpoint's CA and a token file are followed while running (`LiveSetting`): a changed
 * one is read again for the next connection, and `logger` is told when one does not pass. With
 * oauthbearer, every Kafka client made of them shares one token source, which tells `logger` when
 * it keeps a token because its renewal failed.
 */
export function kafkaSettingsOf(config: ResolvedConfig, clientId: string, logger?: Logger): KafkaSettings {
  const sasl = config.Store.KafkaSasl;
  const log = logger?.child({ component: 'kafka-settings' });
  const warn = (message: string) => log?.warn(message);
  return {
    brokers: config.Store.KafkaBrokers,
    prefix: config.Store.KafkaPrefix,
    partitions: config.Store.Partitions,
    sessionTimeoutMs: config.Store.KafkaSessionTimeout * 1000,
    clientId,
    ...(config.Store.KafkaTls.Enable ? { tls: liveTls(config.Store.KafkaTls, warn) } : {}),
    ...(sasl.Mechanism !== '' ? { sasl: saslOptionsOf(sasl, warn) } : {}),
  };
}

/** TLS options whose PEM contents are getters on the files (kafkajs copies them at each connection). */
function liveTls(tls: ResolvedConfig['Store']['KafkaTls'], warn: (message: string) => void): TlsFiles {
  const files = [tls.CaFile, tls.CertFile, tls.KeyFile].filter((f) => f !== '');
  const live = new LiveSetting(files, () => readTlsFiles('Store.KafkaTls', tls), warn);
  const options = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    if (live.current[key] !== undefined) Object.defineProperty(options, key, { enumerable: true, get: () => live.current[key] });
  }
  return options;
}

function saslOptionsOf(sasl: ResolvedConfig['Store']['KafkaSasl'], warn: (message: string) => void): KafkaSaslOptions {
  const secret = sasl.PasswordFile === '' ? undefined : new LiveSetting([sasl.PasswordFile], () => passwordOf(sasl), warn);
  const password = (): string => secret?.current ?? sasl.Password;
  if (sasl.Mechanism !== 'oauthbearer') {
    const mechanism = sasl.Mechanism as Exclude<typeof sasl.Mechanism, '' | 'oauthbearer'>;
    return { mechanism, username: sasl.Username, get password() { return password(); } };
  }
  const extensions = Object.fromEntries(sasl.Extensions.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  if (sasl.TokenFile !== '') {
    const file = new TokenFileSource(sasl.TokenFile, extensions, warn);
    return oauthBearerMechanism(() => file.bearer());
  }
  const tokenCa = sasl.TokenCaFile === '' ? undefined : new LiveSetting([sasl.TokenCaFile], () => readTlsFiles('Store.KafkaSasl', { CaFile: sasl.TokenCaFile, CertFile: '', KeyFile: '' }, 'TokenCaFile').ca, warn);
  const source = new OAuthTokenSource(
    {
      endpoint: new URL(sasl.TokenEndpoint),
      clientId: sasl.Username,
      get clientSecret() { return password(); },
      scope: sasl.Scope,
      extensions,
      get ca() { return tokenCa?.current; },
    },
    { warn },
  );
  return oauthBearerMechanism(() => source.bearer());
}

/** `Password`, or the first line of `PasswordFile` (a mounted secret; its line end is not part of it); with oauthbearer, the client secret. */
function passwordOf(sasl: ResolvedConfig['Store']['KafkaSasl']): string {
  if (sasl.PasswordFile === '') return sasl.Password;
  const password = readSettingFile('Store.KafkaSasl.PasswordFile', sasl.PasswordFile).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '' || password.length > 1024) {
    throw invalidValue('Store.KafkaSasl.PasswordFile', sasl.PasswordFile, 'its first line must hold the password (1-1024 characters)');
  }
  return password;
}
