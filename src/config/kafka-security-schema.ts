/**
 * How a Kafka worker authenticates to its brokers and to the other workers. `Store.KafkaTls` (TLS,
 * optionally with a client certificate) and `Store.KafkaSasl` (SASL PLAIN, SCRAM, or OAUTHBEARER
 * with tokens of an OAuth 2.0 client-credentials grant or from a file kept fresh by something else) give the listener types a production
 * cluster offers: SSL, SASL_PLAINTEXT and SASL_SSL. `InternalTls` is
 * mutual TLS on the workers' internal port. All are off by default: plaintext, as dtm's stores.
 */
import { z } from 'zod';

/** The SASL mechanisms dtx speaks, as kafkajs names them; '' = no SASL. */
export const KAFKA_SASL_MECHANISMS = ['', 'plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

const pemFile = z.string().max(4096, { error: 'must be a path of at most 4096 characters' });
const mechanismError = { error: 'must be empty (no SASL) or one of plain|scram-sha-256|scram-sha-512|oauthbearer' };
/** RFC 6749 §3.3: scope tokens of %x21 / %x23-5B / %x5D-7E, separated by single spaces. */
const SCOPE = /^(?:[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*)?$/;
/** KIP-342: a key of letters, a value of printable ASCII (no space or comma here: the env list splits on commas); `auth` is the token's own. */
const EXTENSION = /^[A-Za-z]{1,64}=[\x21-\x2B\x2D-\x7E]{1,1024}$/;

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
  TokenEndpoint: z.string().max(2048, { error: 'must be a URL of at most 2048 characters' }),
  TokenCaFile: pemFile,
  TokenFile: pemFile,
  Scope: z.string().max(1024, { error: 'must be at most 1024 characters' }).regex(SCOPE, { error: 'must be scope tokens of printable ASCII (no " or \\) separated by single spaces' }),
  Extensions: z
    .array(z.string().regex(EXTENSION, { error: 'entries must be key=value: a key of 1-64 letters, a value of 1-1024 printable ASCII characters without space or comma' }), { error: 'must be a list of key=value' })
    .max(16, { error: 'must have at most 16 entries' }),
});

/** Mutual TLS between Kafka workers: each serves its internal port with the certificate and presents it to the others. */
export const InternalTlsSchema = z.object({ CertFile: pemFile, KeyFile: pemFile, CaFile: pemFile });

export type KafkaTlsConfig = z.infer<typeof KafkaTlsSchema>;
export type InternalTlsConfig = z.infer<typeof InternalTlsSchema>;
export type KafkaSaslConfig = z.infer<typeof KafkaSaslSchema>;

export const KAFKA_TLS_DEFAULTS: KafkaTlsConfig = { Enable: false, CaFile: '', CertFile: '', KeyFile: '' };
export const KAFKA_SASL_DEFAULTS: KafkaSaslConfig = { Mechanism: '', Username: '', Password: '', PasswordFile: '', TokenEndpoint: '', TokenCaFile: '', TokenFile: '', Scope: '', Extensions: [] };
export const INTERNAL_TLS_DEFAULTS: InternalTlsConfig = { CertFile: '', KeyFile: '', CaFile: '' };

interface Issues {
  addIssue(issue: { code: 'custom'; path: Array<string | number>; message: string }): void;
}

/**
 * The rules that span keys: a file without `Enable` would silently speak plaintext, a certificate
 * needs its key, a mechanism needs a user and a password, credentials without a mechanism
 * would be sent nowhere, and the OAuth keys mean something only with oauthbearer, which needs
 * its token endpoint (and a client) or a token file (and nothing else).
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
  // with a token file the token is the credential: no client to name (checkOAuth refuses one)
  const tokenFromFile = s.Mechanism === 'oauthbearer' && s.TokenFile !== '';
  if (s.Mechanism !== '' && !tokenFromFile) {
    if (s.Username === '') ctx.addIssue({ code: 'custom', path: saslPath('Username'), message: `must not be empty with Store.KafkaSasl.Mechanism ${s.Mechanism}` });
    if (s.Password === '' && s.PasswordFile === '') ctx.addIssue({ code: 'custom', path: saslPath('Password'), message: `must not be empty with Store.KafkaSasl.Mechanism ${s.Mechanism} (or set PasswordFile)` });
  } else if (s.Mechanism === '' && (s.Username !== '' || s.Password !== '' || s.PasswordFile !== '')) {
    ctx.addIssue({ code: 'custom', path: saslPath('Mechanism'), message: 'must be set when Store.KafkaSasl.Username, Password or PasswordFile is (plain|scram-sha-256|scram-sha-512|oauthbearer)' });
  }
  checkOAuth(s, saslPath, ctx);
  // half of mutual TLS would leave the port open to plaintext callers, or unable to check them
  const i = c.InternalTls;
  const missing = (['CertFile', 'KeyFile', 'CaFile'] as const).filter((k) => i[k] === '');
  if (missing.length > 0 && missing.length < 3) {
    ctx.addIssue({ code: 'custom', path: ['InternalTls', missing[0]!], message: 'InternalTls.CertFile, KeyFile and CaFile go together (mutual TLS between workers)' });
  }
}

function checkOAuth(s: KafkaSaslConfig, saslPath: (key: string) => string[], ctx: Issues): void {
  if (s.Mechanism !== 'oauthbearer') {
    for (const key of ['TokenEndpoint', 'TokenCaFile', 'TokenFile', 'Scope'] as const) {
      if (s[key] !== '') ctx.addIssue({ code: 'custom', path: saslPath(key), message: 'needs Store.KafkaSasl.Mechanism oauthbearer' });
    }
    if (s.Extensions.length > 0) ctx.addIssue({ code: 'custom', path: saslPath('Extensions'), message: 'needs Store.KafkaSasl.Mechanism oauthbearer' });
    return;
  }
  if (s.Extensions.some((e) => e.startsWith('auth='))) {
    ctx.addIssue({ code: 'custom', path: saslPath('Extensions'), message: "must not name the key 'auth' (the token's own)" });
  }
  if (s.TokenFile !== '') {
    for (const key of ['TokenEndpoint', 'TokenCaFile', 'Scope', 'Username', 'Password', 'PasswordFile'] as const) {
      if (s[key] !== '') ctx.addIssue({ code: 'custom', path: saslPath(key), message: 'must be empty with Store.KafkaSasl.TokenFile (the token in the file is the credential)' });
    }
    return;
  }
  const url = URL.parse(s.TokenEndpoint);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '' || url.hash !== '') {
    ctx.addIssue({ code: 'custom', path: saslPath('TokenEndpoint'), message: 'must be the http(s) URL of the OAuth token endpoint (no credentials or #fragment in it) with Store.KafkaSasl.Mechanism oauthbearer, unless Store.KafkaSasl.TokenFile is set' });
  } else if (url.protocol === 'http:' && s.TokenCaFile !== '') {
    ctx.addIssue({ code: 'custom', path: saslPath('TokenCaFile'), message: 'needs an https Store.KafkaSasl.TokenEndpoint' });
  }
}

/**
 * Warnings for settings that work but expose a secret: SASL PLAIN or a bearer token over
 * plaintext, a client secret sent to a token endpoint over plain http off this machine, and the
 * pod's own service-account token handed to the brokers.
 */
export function kafkaSecurityNotices(store: { Driver: string; KafkaTls: KafkaTlsConfig; KafkaSasl: KafkaSaslConfig }): string[] {
  if (store.Driver !== 'kafka') return [];
  const sasl = store.KafkaSasl;
  const notices: string[] = [];
  if (sasl.Mechanism === 'plain' && !store.KafkaTls.Enable) {
    notices.push('Store.KafkaSasl.Mechanism plain without Store.KafkaTls.Enable sends the Kafka password unencrypted: enable TLS or use scram-sha-512');
  }
  if (sasl.Mechanism === 'oauthbearer' && !store.KafkaTls.Enable) {
    notices.push('Store.KafkaSasl.Mechanism oauthbearer without Store.KafkaTls.Enable sends the bearer token unencrypted (anyone who sees it can use it until it expires): enable TLS');
  }
  if (sasl.TokenFile.startsWith('/var/run/secrets/kubernetes.io/serviceaccount/') || sasl.TokenFile.startsWith('/run/secrets/kubernetes.io/serviceaccount/')) {
    notices.push(`Store.KafkaSasl.TokenFile ${sasl.TokenFile} is the pod's default service-account token, whose audience is the Kubernetes API: the brokers would receive a credential for the API server; mount a projected token for the brokers' audience instead`);
  }
  const endpoint = sasl.Mechanism === 'oauthbearer' ? URL.parse(sasl.TokenEndpoint) : null;
  if (endpoint?.protocol === 'http:' && !isLoopback(endpoint.hostname)) {
    notices.push(`Store.KafkaSasl.TokenEndpoint ${endpoint.origin} is plain http: the OAuth client secret and the tokens cross the network unencrypted; use https`);
  }
  return notices;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
