/**
 * The dtx configuration contract: every dtm key of spec §12 with dtm's PascalCase names, dtm's
 * defaults and dtm's units (durations are integer **seconds**, `Store.ConnMaxLifeTime` minutes),
 * plus the dtx additions (`Store.DataDir`, `Store.SyncCommit`, `Store.Partitions`, `Store.Kafka*` (with
 * `Store.KafkaTls` and `Store.KafkaSasl`, kafka-security-schema.ts),
 * `InternalGrpcPort`, `InternalAdvertise`, `InternalTls`, `GrpcMaxConcurrentStreams`, `GrpcMessageTimeout`,
 * `MaxRetryInterval`, `HttpMaxBodyBytes`, `HttpMaxBodyBytesInFlight`, `HttpHost`, `MaxOpenPayloadBytes`, `Auth`, `Tls`, `Invoker`,
 * `Log.Format`, `TransTypes`, `MicroService.DriverModules`).
 *
 * The schema validates a fully merged object (defaults → env → YAML → overrides); it carries no
 * defaults itself, `CONFIG_DEFAULTS` does. Nested `z.object`s are config groups (YAML mappings,
 * env prefixes); every other field is a leaf. Validation messages that dtm also emits are kept
 * verbatim (`RetryInterval should not be less than 10`, ...). What each key means lives in one
 * place, `CONFIG_DOCS` (config-docs.ts), from which docs/config.md and conf.sample.yml are generated.
 */
import { z } from 'zod';
import { deepFreeze } from './deep-freeze.js';
import { parseAllowEntry } from '../invoker/allow-entry.js';
import { KAFKA_MAX_BODY_BYTES, REFUSED_STORE_DRIVERS, STORE_DRIVERS } from './store-limits.js';
import { checkKafkaSecurity, INTERNAL_TLS_DEFAULTS, InternalTlsSchema, KAFKA_SASL_DEFAULTS, KAFKA_TLS_DEFAULTS, KafkaSaslSchema, KafkaTlsSchema } from './kafka-security-schema.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** `auto`: pretty on a terminal, JSON otherwise (src/observability/logger.ts). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
/** dtm resets an empty `GrpcServiceConfig` to this value (spec §12, load step 4). */
export const DEFAULT_GRPC_SERVICE_CONFIG = '{"loadBalancingConfig": [{"round_robin":{}}]}';

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

const storeDriver = z.enum(STORE_DRIVERS, {
  error: (iss) => REFUSED_STORE_DRIVERS.includes(String(iss.input))
    ? `Store.Driver '${String(iss.input)}' is not supported: dtx stores its log in sqlite (embedded) or kafka`
    : `Store.Driver must be one of sqlite|kafka (boltdb is an alias of sqlite)`,
});
const portError = { error: 'must be a port number 0..65535 (0 = random port)' };
const port = z.int().min(0, portError).max(65535, portError);
const partitionsError = { error: 'must be an integer 0..1024 (0: automatic)' };

const nonNegative = z.int().min(0, { error: 'must be an integer >= 0' });
const positive = z.int().min(1, { error: 'must be an integer >= 1' });
const nonEmpty = z.string().min(1, { error: 'must not be empty' });
/** A string holding a JSON object, as dtm's `RotationConfigJSON` and `GrpcServiceConfig`. */
const jsonObjectText = z.string().refine(isJsonObjectText, { error: 'must be a JSON object' });
/** dtm does `MustAtoi(TimeZoneOffset)` (whole hours) when it is not empty. */
const zoneOffset = z.string().regex(/^([+-]?\d{1,2})?$/, { error: 'must be empty or whole hours, e.g. 8 or -5' });
const webHook = z.string().refine((s) => s === '' || isHttpUrl(s), { error: 'must be empty or an http(s) URL' });
/** Durations in seconds with an upper bound: no configured value may overflow a timer or a date. */
const seconds = (min: number, max: number, text?: string) =>
  z.int().min(min, { error: text ?? `must be an integer ${min}..${max} (seconds)` }).max(max, { error: `must be an integer ${min}..${max} (seconds)` });
const DAY = 86_400;
/** A bearer token: long enough not to be guessed, printable, no blanks. */
const token = z.string().regex(/^[\x21-\x7e]{16,512}$/, { error: 'entries must be 16-512 printable characters without blanks' });
const allowEntry = z.string().refine(isAllowEntry, { error: 'entries must be host patterns (a.example, *.example, host:port), IP addresses or CIDR ranges' });
const pemFile = z.string();
const allowedHost = z.string().max(253, { error: 'entries must be at most 253 characters' })
  .regex(/^(\*|(\*\.)?[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*\.?)$/, { error: 'entries must be host names (dtx.example), subdomain patterns (*.example) or *' });

export const ConfigSchema = z.object({
  Store: z.object({
    Driver: storeDriver,
    Host: z.string(),
    Port: port,
    User: z.string(),
    Password: z.string(),
    Db: z.string(),
    Schema: z.string(),
    MaxOpenConns: nonNegative,
    MaxIdleConns: nonNegative,
    ConnMaxLifeTime: nonNegative,
    DataExpire: nonNegative,
    FinishedDataExpire: nonNegative,
    RedisPrefix: z.string(),
    DataDir: nonEmpty,
    SyncCommit: z.boolean(),
    Partitions: z.int().min(0, partitionsError).max(1024, partitionsError),
    KafkaBrokers: z.array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, { error: 'entries must be host:port' }), { error: 'must be a list of host:port' }).min(1, { error: 'must name at least one broker' }),
    KafkaPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be 1-100 characters of A-Z a-z 0-9 _ -' }),
    KafkaReplyTimeout: z.int().min(1, { error: 'must be an integer 1..600' }).max(600, { error: 'must be an integer 1..600' }),
    SnapshotEvery: z.int().min(0, { error: 'must be an integer >= 0' }),
    PruneFinishedAfter: seconds(0, 3650 * DAY),
    KafkaSessionTimeout: z.int().min(1, { error: 'must be an integer 1..300' }).max(300, { error: 'must be an integer 1..300' }),
    KafkaTls: KafkaTlsSchema,
    KafkaSasl: KafkaSaslSchema,
  }),
  TransCronInterval: seconds(1, 3600),
  TimeoutToFail: seconds(0, 365 * DAY),
  RetryInterval: seconds(10, DAY, 'RetryInterval should not be less than 10'),
  MaxRetryInterval: seconds(0, 7 * DAY),
  RequestTimeout: seconds(1, DAY, 'RequestTimeout should not be less than 1'),
  HttpPort: port,
  GrpcPort: port,
  JsonRpcPort: port,
  HttpHost: nonEmpty,
  HttpAllowedHosts: z.array(allowedHost, { error: 'must be a list of host names' }),
  HttpMaxBodyBytes: z.int().min(1024, { error: 'must be an integer 1024..268435456' }).max(268_435_456, { error: 'must be an integer 1024..268435456' }),
  HttpMaxBodyBytesInFlight: z.int().min(1_048_576, { error: 'must be an integer 1048576..17179869184' }).max(17_179_869_184, { error: 'must be an integer 1048576..17179869184' }),
  GrpcMaxConcurrentStreams: z.int().min(1, { error: 'must be an integer 1..1000000' }).max(1_000_000, { error: 'must be an integer 1..1000000' }),
  GrpcMessageTimeout: seconds(1, 3600),
  MaxOpenPayloadBytes: z.int().min(1_048_576, { error: 'must be an integer >= 1048576' }),
  Auth: z.object({
    Tokens: z.array(token, { error: 'must be a list of tokens' }),
    PublicMetrics: z.boolean(),
  }),
  Tls: z.object({
    CertFile: pemFile,
    KeyFile: pemFile,
    ClientCaFile: pemFile,
  }),
  Invoker: z.object({
    Allow: z.array(allowEntry, { error: 'must be a list of host patterns and CIDR ranges' }),
    ForwardCredentials: z.boolean(),
    MaxAnswerBytes: z.int().min(1024, { error: 'must be an integer 1024..268435456' }).max(268_435_456, { error: 'must be an integer 1024..268435456' }),
    GrpcTls: z.object({ CaFile: pemFile, CertFile: pemFile, KeyFile: pemFile }),
  }),
  InternalGrpcPort: port,
  InternalAdvertise: z.string().regex(/^$|^[^\s:,]+:\d{1,5}$/, { error: 'must be empty or host:port' }),
  InternalTls: InternalTlsSchema,
  MicroService: z.object({
    Driver: z.string(),
    Target: z.string(),
    EndPoint: z.string(),
    DriverModules: z.array(z.string().trim().min(1, { error: 'entries must not be empty' }), { error: 'must be a list of module paths' }),
  }),
  HttpMicroService: z.object({
    Driver: z.string(),
    RegistryType: z.string(),
    RegistryAddress: z.string(),
    RegistryOptions: z.record(z.string(), z.unknown()),
    Target: z.string(),
    EndPoint: z.string(),
  }),
  UpdateBranchSync: nonNegative,
  UpdateBranchAsyncGoroutineNum: positive,
  LogLevel: z.enum(LOG_LEVELS, { error: 'must be one of debug|info|warn|error' }),
  Log: z.object({ Outputs: nonEmpty, Format: z.enum(LOG_FORMATS, { error: 'must be one of auto|json|pretty' }), RotationEnable: nonNegative, RotationConfigJSON: jsonObjectText }),
  TimeZoneOffset: zoneOffset,
  ConfigUpdateInterval: positive,
  AlertRetryLimit: z.int().min(0, { error: 'AlertRetryLimit should not be less than 0' }),
  AlertWebHook: webHook,
  AdminBasePath: z.string(),
  GrpcServiceConfig: jsonObjectText,
  TransTypes: z.array(z.string().trim().min(1, { error: 'entries must not be empty' }), { error: 'must be a list of module paths' }),
}).superRefine((c, ctx) => {
  // Same order and text as dtm's checkConfig; MaxRetryInterval is the dtx analogue.
  if (c.TimeoutToFail < c.RetryInterval) {
    ctx.addIssue({ code: 'custom', path: ['TimeoutToFail'], message: 'TimeoutToFail should not be less than RetryInterval' });
  }
  if (c.MaxRetryInterval < c.RetryInterval) {
    ctx.addIssue({ code: 'custom', path: ['MaxRetryInterval'], message: 'MaxRetryInterval should not be less than RetryInterval' });
  }
  if ((c.Tls.CertFile === '') !== (c.Tls.KeyFile === '')) {
    ctx.addIssue({ code: 'custom', path: ['Tls', c.Tls.CertFile === '' ? 'CertFile' : 'KeyFile'], message: 'Tls.CertFile and Tls.KeyFile go together' });
  }
  const g = c.Invoker.GrpcTls;
  if ((g.CertFile === '') !== (g.KeyFile === '')) {
    ctx.addIssue({ code: 'custom', path: ['Invoker', 'GrpcTls', g.CertFile === '' ? 'CertFile' : 'KeyFile'], message: 'Invoker.GrpcTls.CertFile and KeyFile go together' });
  }
  if (c.Store.Driver === 'kafka' && c.Store.PruneFinishedAfter > 0) {
    ctx.addIssue({ code: 'custom', path: ['Store', 'PruneFinishedAfter'], message: 'must be 0 with Store.Driver kafka: the events topic is never pruned (docs/kafka.md)' });
  }
  if (c.Store.Driver === 'kafka' && c.HttpMaxBodyBytes > KAFKA_MAX_BODY_BYTES) {
    ctx.addIssue({ code: 'custom', path: ['HttpMaxBodyBytes'], message: `must be at most ${KAFKA_MAX_BODY_BYTES} with Store.Driver kafka: a transaction's events must fit a Kafka record batch (docs/kafka.md)` });
  }
  checkKafkaSecurity(c, ctx);
  if (c.Tls.ClientCaFile !== '' && c.Tls.CertFile === '') {
    ctx.addIssue({ code: 'custom', path: ['Tls', 'ClientCaFile'], message: 'needs Tls.CertFile and Tls.KeyFile' });
  }
});

export type ResolvedConfig = z.infer<typeof ConfigSchema>;

/** Recursive optional view used for the `overrides` layer (tests pass config this way). */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** dtm's defaults (spec §12), except `Store.Driver` (`sqlite` for dtx), plus the dtx additions. */
export const CONFIG_DEFAULTS: Readonly<ResolvedConfig> = deepFreeze<ResolvedConfig>({
  Store: {
    Driver: 'sqlite', Host: '', Port: 0, User: '', Password: '', Db: 'dtm', Schema: 'public',
    MaxOpenConns: 500, MaxIdleConns: 500, ConnMaxLifeTime: 5, DataExpire: 604800,
    FinishedDataExpire: 86400, RedisPrefix: '{a}', DataDir: './data', SyncCommit: true, Partitions: 0,
    KafkaBrokers: ['127.0.0.1:9092'], KafkaPrefix: 'dtx', KafkaSessionTimeout: 8, KafkaReplyTimeout: 15, SnapshotEvery: 10000, PruneFinishedAfter: 0,
    KafkaTls: KAFKA_TLS_DEFAULTS, KafkaSasl: KAFKA_SASL_DEFAULTS,
  },
  TransCronInterval: 3,
  TimeoutToFail: 35,
  RetryInterval: 10,
  MaxRetryInterval: 3600,
  RequestTimeout: 3,
  HttpPort: 36789,
  GrpcPort: 36790,
  JsonRpcPort: 36791,
  HttpHost: '0.0.0.0',
  HttpAllowedHosts: [],
  HttpMaxBodyBytes: 1048576,
  HttpMaxBodyBytesInFlight: 67_108_864,
  GrpcMaxConcurrentStreams: 250,
  GrpcMessageTimeout: 300,
  MaxOpenPayloadBytes: 268_435_456,
  Auth: { Tokens: [], PublicMetrics: false },
  Tls: { CertFile: '', KeyFile: '', ClientCaFile: '' },
  Invoker: { Allow: [], ForwardCredentials: true, MaxAnswerBytes: 4_194_304, GrpcTls: { CaFile: '', CertFile: '', KeyFile: '' } },
  InternalGrpcPort: 36792,
  InternalAdvertise: '',
  InternalTls: INTERNAL_TLS_DEFAULTS,
  MicroService: { Driver: 'default', Target: '', EndPoint: '', DriverModules: [] },
  HttpMicroService: { Driver: 'default', RegistryType: '', RegistryAddress: '', RegistryOptions: {}, Target: '', EndPoint: '' },
  UpdateBranchSync: 1,
  UpdateBranchAsyncGoroutineNum: 1,
  LogLevel: 'info',
  Log: { Outputs: 'stderr', Format: 'auto', RotationEnable: 0, RotationConfigJSON: '{}' },
  TimeZoneOffset: '',
  ConfigUpdateInterval: 3,
  AlertRetryLimit: 3,
  AlertWebHook: '',
  AdminBasePath: '',
  GrpcServiceConfig: DEFAULT_GRPC_SERVICE_CONFIG,
  TransTypes: [],
});

function isJsonObjectText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function isAllowEntry(text: string): boolean {
  try {
    parseAllowEntry(text);
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
