/**
 * How a Kafka worker authenticates to its brokers and to the other workers. `Store.KafkaTls` (TLS,
 * optionally with a client certificate) and `Store.KafkaSasl` (SASL PLAIN or SCRAM) give the
 * listener types a production cluster offers: SSL, SASL_PLAINTEXT and SASL_SSL. `InternalTls` is
 * mutual TLS on the workers' internal port. All are off by default: plaintext, as dtm's stores.
 */
import { z } from 'zod';

/** The SASL mechanisms dtx speaks, as kafkajs names them; '' = no SASL. */
export const KAFKA_SASL_MECHANISMS = ['', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

const pemFile = z.string().max(4096, { error: 'must be a path of at most 4096 characters' });
const mechanismError = { error: 'must be empty (no SASL) or one of plain|scram-sha-256|scram-sha-512' };

export const KafkaTlsSchema = z.object({
  Enable: z.boolean(),
  CaFile: pemFile,
  CertFile: pemFile,
  KeyFile: pemFile,
});

export const KafkaSaslSchema = z.object({
  Mechanism: z.enum(KAFKA_SASL_MECHANISMS, mechanismError),
  Username: z.string().max(255, { error: 'must be at most 255 characters' }),
  Password: z.string().max(1024, { error: 'must be at most 1024 characters' }),
  PasswordFile: pemFile,
});

/** Mutual TLS between Kafka workers: each serves its internal port with the certificate and presents it to the others. */
export const InternalTlsSchema = z.object({ CertFile: pemFile, KeyFile: pemFile, CaFile: pemFile });

export type KafkaTlsConfig = z.infer<typeof KafkaTlsSchema>;
export type InternalTlsConfig = z.infer<typeof InternalTlsSchema>;
export type KafkaSaslConfig = z.infer<typeof KafkaSaslSchema>;

export const KAFKA_TLS_DEFAULTS: KafkaTlsConfig = { Enable: false, CaFile: '', CertFile: '', KeyFile: '' };
export const KAFKA_SASL_DEFAULTS: KafkaSaslConfig = { Mechanism: '', Username: '', Password: '', PasswordFile: '' };
export const INTERNAL_TLS_DEFAULTS: InternalTlsConfig = { CertFile: '', KeyFile: '', CaFile: '' };

interface Issues {
  addIssue(issue: { code: 'custom'; path: Array<string | number>; message: string }): void;
}

/**
 * The rules that span keys: a file without `Enable` would silently speak plaintext, a certificate
 * needs its key, a mechanism needs a user and a password, and credentials without a mechanism
 * would be sent nowhere.
 */
export function checkKafkaSecurity(c: { Store: { KafkaTls: KafkaTlsConfig; KafkaSasl: KafkaSaslConfig }; InternalTls: InternalTlsConfig }, ctx: Issues): void {
  const store = c.Store;
  const t = store.KafkaTls;
  const tlsPath = (key: string) => ['Store', 'KafkaTls', key];
  if (!t.Enable) {
    for (const key of ['CaFile', 'CertFile', 'KeyFile'] as const) {
      if (t[key] !== '') ctx.addIssue({ code: 'custom', path: tlsPath(key), message: 'needs Store.KafkaTls.Enable true (without it dtx speaks plaintext to Kafka)' });
    }
  }
  if ((t.CertFile === '') !== (t.KeyFile === '')) {
    ctx.addIssue({ code: 'custom', path: tlsPath(t.CertFile === '' ? 'CertFile' : 'KeyFile'), message: 'Store.KafkaTls.CertFile and KeyFile go together' });
  }
  const s = store.KafkaSasl;
  const saslPath = (key: string) => ['Store', 'KafkaSasl', key];
  if (s.Password !== '' && s.PasswordFile !== '') {
    ctx.addIssue({ code: 'custom', path: saslPath('PasswordFile'), message: 'Store.KafkaSasl.Password and PasswordFile exclude each other' });
  }
  if (s.Mechanism !== '') {
    if (s.Username === '') ctx.addIssue({ code: 'custom', path: saslPath('Username'), message: `must not be empty with Store.KafkaSasl.Mechanism ${s.Mechanism}` });
    if (s.Password === '' && s.PasswordFile === '') ctx.addIssue({ code: 'custom', path: saslPath('Password'), message: `must not be empty with Store.KafkaSasl.Mechanism ${s.Mechanism} (or set PasswordFile)` });
  } else if (s.Username !== '' || s.Password !== '' || s.PasswordFile !== '') {
    ctx.addIssue({ code: 'custom', path: saslPath('Mechanism'), message: 'must be set when Store.KafkaSasl.Username, Password or PasswordFile is (plain|scram-sha-256|scram-sha-512)' });
  }
  // half of mutual TLS would leave the port open to plaintext callers, or unable to check them
  const i = c.InternalTls;
  const missing = (['CertFile', 'KeyFile', 'CaFile'] as const).filter((k) => i[k] === '');
  if (missing.length > 0 && missing.length < 3) {
    ctx.addIssue({ code: 'custom', path: ['InternalTls', missing[0]!], message: 'InternalTls.CertFile, KeyFile and CaFile go together (mutual TLS between workers)' });
  }
}

/** A warning for a setting that works but exposes the password: SASL PLAIN over plaintext. */
export function kafkaSecurityNotices(store: { Driver: string; KafkaTls: KafkaTlsConfig; KafkaSasl: KafkaSaslConfig }): string[] {
  if (store.Driver !== 'kafka' || store.KafkaSasl.Mechanism !== 'plain' || store.KafkaTls.Enable) return [];
  return ['Store.KafkaSasl.Mechanism plain without Store.KafkaTls.Enable sends the Kafka password unencrypted: enable TLS or use scram-sha-512'];
}
