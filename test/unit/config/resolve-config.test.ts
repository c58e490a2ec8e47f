import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/index.js';
import { BOLTDB_ALIAS_NOTICE, envNameOf, resolveConfig, resolveConfigFromProcess } from '../../../src/config/index.js';
import { CONFIG_DEFAULTS } from '../../../src/config/config-schema.js';
import { MAX_CONFIG_FILE_BYTES } from '../../../src/config/config-layers.js';
import { UNUSED_KEYS } from '../../../src/config/unused-keys.js';
import { tempDir as makeTempDir } from '../../support/temp-dir.js';
import { configError } from '../../support/config-error.js';

const tempDir = makeTempDir('dtx-config-');
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

let fileCount = 0;
function yamlFile(text: string): string {
  fileCount += 1;
  const file = join(tempDir, `conf-${fileCount}.yml`);
  writeFileSync(file, text);
  return file;
}


describe('envNameOf', () => {
  it.each([
    [['MicroService', 'EndPoint'], 'MICRO_SERVICE_END_POINT'],
    [['Log', 'RotationConfigJSON'], 'LOG_ROTATION_CONFIG_JSON'],
    [['HttpPort'], 'HTTP_PORT'],
    [['Store', 'Driver'], 'STORE_DRIVER'],
    [['Store', 'DataDir'], 'STORE_DATA_DIR'],
    [['UpdateBranchAsyncGoroutineNum'], 'UPDATE_BRANCH_ASYNC_GOROUTINE_NUM'],
  ])('%j → %s', (path, name) => {
    expect(envNameOf(path)).toBe(name);
  });
});

describe('resolveConfig defaults', () => {
  it('applies dtm defaults and dtx additions with no input', () => {
    const { config, notices } = resolveConfig({});
    expect(config.HttpPort).toBe(36789);
    expect(config.GrpcPort).toBe(36790);
    expect(config.RetryInterval).toBe(10);
    expect(config.TimeoutToFail).toBe(35);
    expect(config.RequestTimeout).toBe(3);
    expect(config.Store.Driver).toBe('sqlite');
    expect(config.UpdateBranchSync).toBe(1);
    expect(config.ConfigUpdateInterval).toBe(3);
    expect(config.Store).toMatchObject({ DataDir: './data', SyncCommit: true, Partitions: 0 });
    expect(config.Store).toMatchObject({ KafkaBrokers: ['127.0.0.1:9092'], KafkaPrefix: 'dtx', KafkaSessionTimeout: 8, KafkaReplyTimeout: 15, SnapshotEvery: 10000 });
    expect([config.InternalGrpcPort, config.InternalAdvertise]).toEqual([36792, '']);
    expect(config.MaxRetryInterval).toBe(3600);
    expect(config.HttpMaxBodyBytes).toBe(1048576);
    expect(config.HttpHost).toBe('0.0.0.0');
    expect(config.GrpcServiceConfig).toBe('{"loadBalancingConfig": [{"round_robin":{}}]}');
    expect(notices).toEqual([]);
  });

  it('returns a deeply frozen object', () => {
    const { config } = resolveConfig({});
    expect(Object.isFrozen(config.Store)).toBe(true);
    expect(() => { (config as ResolvedConfig).HttpPort = 1; }).toThrow(TypeError);
    expect(() => { (config as ResolvedConfig).Store.Partitions = 1; }).toThrow(TypeError);
  });
});

describe('resolveConfig layers', () => {
  it('reads env vars with dtm names, parsing ints and booleans', () => {
    const { config } = resolveConfig({
      env: {
        HTTP_PORT: '4000', STORE_SYNC_COMMIT: 'false', STORE_PARTITIONS: '4', MICRO_SERVICE_END_POINT: 'h:1',
        LOG_ROTATION_CONFIG_JSON: '{"maxsize":1}', RETRY_INTERVAL: '', UNRELATED: 'x',
      },
    });
    expect(config.HttpPort).toBe(4000);
    expect(config.Store.SyncCommit).toBe(false);
    expect(config.Store.Partitions).toBe(4);
    expect(config.MicroService.EndPoint).toBe('h:1');
    expect(config.Log.RotationConfigJSON).toBe('{"maxsize":1}');
    expect(config.RetryInterval).toBe(10); // empty env value counts as unset, as in dtm
    expect(resolveConfig({ env: { STORE_SYNC_COMMIT: '0' } }).config.Store.SyncCommit).toBe(false);
    expect(resolveConfig({ env: { STORE_SYNC_COMMIT: '1' } }).config.Store.SyncCommit).toBe(true);
  });

  it('lets YAML keys override env, keeps env for keys absent from the file', () => {
    const file = yamlFile('HttpPort: 5000\nStore:\n  DataDir: /var/dtx\nLogLevel: debug\n');
    const { config } = resolveConfig({ env: { HTTP_PORT: '4000', GRPC_PORT: '4001', STORE_DATA_DIR: '/env' }, file });
    expect(config.HttpPort).toBe(5000);
    expect(config.GrpcPort).toBe(4001);
    expect(config.Store.DataDir).toBe('/var/dtx');
    expect(config.LogLevel).toBe('debug');
  });

  it('ignores unknown YAML keys with a notice naming them', () => {
    const file = yamlFile('GrpcBalancer: rr\nStore:\n  TransGlobalTable: x\nhttpPort: 1\n');
    const { config, notices } = resolveConfig({ file });
    expect(config.HttpPort).toBe(36789); // key matching is case-sensitive, as in dtm
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('GrpcBalancer');
    expect(notices[0]).toContain('Store.TransGlobalTable');
    expect(notices[0]).toContain('httpPort');
  });

  it('resolveConfigFromProcess reads process.env and the file', () => {
    vi.stubEnv('HTTP_PORT', '4321');
    try {
      const { config } = resolveConfigFromProcess(yamlFile('GrpcPort: 4322\n'));
      expect([config.HttpPort, config.GrpcPort]).toEqual([4321, 4322]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('applies overrides last', () => {
    const file = yamlFile('HttpPort: 5000\n');
    const { config } = resolveConfig({ env: { HTTP_PORT: '4000' }, file, overrides: { HttpPort: 0, Store: { Partitions: 2 } } });
    expect(config.HttpPort).toBe(0);
    expect(config.Store.Partitions).toBe(2);
    expect(config.Store.Driver).toBe('sqlite');
  });

  it('resets an empty GrpcServiceConfig to the round-robin default', () => {
    const { config } = resolveConfig({ file: yamlFile('GrpcServiceConfig: ""\n') });
    expect(config.GrpcServiceConfig).toContain('round_robin');
  });

  it('refuses a missing or unparseable file with key -c', () => {
    expect(configError(() => resolveConfig({ file: join(tempDir, 'nope.yml') })).key).toBe('-c');
    expect(configError(() => resolveConfig({ file: yamlFile('HttpPort: [1\n') })).key).toBe('-c');
    expect(configError(() => resolveConfig({ file: yamlFile('- 1\n- 2\n') })).key).toBe('-c');
    expect(configError(() => resolveConfig({ file: tempDir })).message).toMatch(/Cannot read config file .*EISDIR/);
  });

  it('reads at most MAX_CONFIG_FILE_BYTES: a longer file or an endless device is refused with key -c', () => {
    const padded = (bytes: number) => `HttpPort: 5000\n${'#'.repeat(bytes - 16)}\n`;
    expect(padded(MAX_CONFIG_FILE_BYTES)).toHaveLength(MAX_CONFIG_FILE_BYTES);
    expect(resolveConfig({ file: yamlFile(padded(MAX_CONFIG_FILE_BYTES)) }).config.HttpPort).toBe(5000);
    const longer = configError(() => resolveConfig({ file: yamlFile(padded(MAX_CONFIG_FILE_BYTES + 1)) }));
    expect([longer.key, longer.message]).toEqual(['-c', expect.stringMatching(/holds more than 1048576 bytes/)]);
    expect(configError(() => resolveConfig({ file: '/dev/zero' })).message).toMatch(/holds more than 1048576 bytes/);
  });

  it('reads a pipe to its end (dtx serve -c <(render-config))', async () => {
    const fifo = join(tempDir, 'conf.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `printf 'HttpPort: 5001\\nStore:\\n  Partitions: 3\\n' > '${fifo}'`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    const { config } = resolveConfig({ file: fifo });
    expect([config.HttpPort, config.Store.Partitions]).toEqual([5001, 3]);
    expect(await exited).toBe(0);
  });
});

describe('resolveConfig store driver', () => {
  it('maps boltdb to sqlite with a notice', () => {
    const { config, notices } = resolveConfig({ env: { STORE_DRIVER: 'boltdb' } });
    expect(config.Store.Driver).toBe('sqlite');
    expect(notices).toEqual([BOLTDB_ALIAS_NOTICE]);
    expect(BOLTDB_ALIAS_NOTICE).toBe("Store.Driver 'boltdb' is an alias of 'sqlite' in dtx");
  });

  it('accepts kafka', () => {
    expect(resolveConfig({ env: { STORE_DRIVER: 'kafka' } }).config.Store.Driver).toBe('kafka');
  });

  it('bounds HttpMaxBodyBytes to 4 MiB with kafka only (a transaction\'s events must fit a record batch)', () => {
    expect(resolveConfig({ env: { STORE_DRIVER: 'kafka', HTTP_MAX_BODY_BYTES: '4194304' } }).config.HttpMaxBodyBytes).toBe(4194304);
    expect(resolveConfig({ env: { HTTP_MAX_BODY_BYTES: '268435456' } }).config.HttpMaxBodyBytes).toBe(268435456);
  });

  it.each(['redis', 'mysql', 'postgres', 'sqlserver'])('refuses %s', (driver) => {
    const err = configError(() => resolveConfig({ file: yamlFile(`Store:\n  Driver: ${driver}\n`) }));
    expect(err.name).toBe('ConfigError');
    expect(err.key).toBe('Store.Driver');
    expect(err.message).toContain('Store.Driver');
    expect(err.message).toContain(driver);
    expect(err.message).toContain('dtx stores its log in sqlite (embedded) or kafka');
  });

  it('refuses an unknown driver', () => {
    expect(configError(() => resolveConfig({ env: { STORE_DRIVER: 'mongo' } })).key).toBe('Store.Driver');
  });
});

describe('resolveConfig validation', () => {
  it.each<[string, Record<string, string>, string, string]>([
    ['RetryInterval', { RETRY_INTERVAL: '5' }, 'RetryInterval should not be less than 10', '5'],
    ['TimeoutToFail', { RETRY_INTERVAL: '20', TIMEOUT_TO_FAIL: '15' }, 'TimeoutToFail should not be less than RetryInterval', '15'],
    ['MaxRetryInterval', { MAX_RETRY_INTERVAL: '9' }, 'should not be less than RetryInterval', '9'],
    ['HttpPort', { HTTP_PORT: '65536' }, '0..65535', '65536'],
    ['GrpcPort', { GRPC_PORT: '-1' }, '0..65535', '-1'],
    ['LogLevel', { LOG_LEVEL: 'trace' }, 'debug|info|warn|error', 'trace'],
    ['AlertRetryLimit', { ALERT_RETRY_LIMIT: '-1' }, 'AlertRetryLimit should not be less than 0', '-1'],
    ['RequestTimeout', { REQUEST_TIMEOUT: '0' }, 'RequestTimeout should not be less than 1', '0'],
    ['Store.Partitions', { STORE_PARTITIONS: '1025' }, '0..1024', '1025'],
    ['Store.Partitions', { STORE_PARTITIONS: '-1' }, '0..1024', '-1'],
    ['HttpMaxBodyBytes', { HTTP_MAX_BODY_BYTES: '1023' }, '1024..268435456', '1023'],
    ['HttpMaxBodyBytes', { STORE_DRIVER: 'kafka', HTTP_MAX_BODY_BYTES: '4194305' }, 'at most 4194304 with Store.Driver kafka', '4194305'],
    ['RequestTimeout', { REQUEST_TIMEOUT: '86401' }, '1..86400', '86401'],
    ['TimeoutToFail', { TIMEOUT_TO_FAIL: '31536001' }, '0..31536000', '31536001'],
    ['MaxOpenPayloadBytes', { MAX_OPEN_PAYLOAD_BYTES: '1000' }, '>= 1048576', '1000'],
    ['Auth.Tokens.0', { AUTH_TOKENS: 'short' }, '16-512 printable', '=(hidden)'], // a secret: its value is never shown
    ['Invoker.Allow.1', { INVOKER_ALLOW: '10.0.0.0/8,not a host!' }, 'host patterns', 'not a host!'],
    ['HttpAllowedHosts.1', { HTTP_ALLOWED_HOSTS: 'dtx.example,a b' }, 'host names (dtx.example)', 'a b'],
    ['HttpAllowedHosts.0', { HTTP_ALLOWED_HOSTS: `${'a'.repeat(254)}` }, 'at most 253', 'a'.repeat(64)],
    ['Invoker.MaxAnswerBytes', { INVOKER_MAX_ANSWER_BYTES: '10' }, '1024..268435456', '10'],
    ['Tls.KeyFile', { TLS_CERT_FILE: '/tmp/cert.pem' }, 'go together', ''],
    ['AlertWebHook', { ALERT_WEB_HOOK: 'not a url' }, 'URL', 'not a url'],
    ['Log.RotationConfigJSON', { LOG_ROTATION_CONFIG_JSON: '[1]' }, 'JSON object', '[1]'],
    ['Store.KafkaBrokers.1', { STORE_KAFKA_BROKERS: 'k1:9092,k2' }, 'host:port', 'k2'],
    ['Store.KafkaPrefix', { STORE_KAFKA_PREFIX: 'my prefix' }, 'A-Z a-z 0-9', 'my prefix'],
    ['Store.KafkaSessionTimeout', { STORE_KAFKA_SESSION_TIMEOUT: '0' }, '1..300', '0'],
    ['Store.KafkaReplyTimeout', { STORE_KAFKA_REPLY_TIMEOUT: '601' }, '1..600', '601'],
    ['Store.SnapshotEvery', { STORE_SNAPSHOT_EVERY: '-1' }, '>= 0', '-1'],
    ['InternalAdvertise', { INTERNAL_ADVERTISE: 'no-port' }, 'host:port', 'no-port'],
    ['InternalGrpcPort', { INTERNAL_GRPC_PORT: '70000' }, '0..65535', '70000'],
  ])('%s', (key, env, text, value) => {
    const err = configError(() => resolveConfig({ env }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(key);
    expect(err.message).toContain(text);
    expect(err.message).toContain(value);
  });

  it('reports RetryInterval before TimeoutToFail, as dtm does', () => {
    expect(configError(() => resolveConfig({ env: { RETRY_INTERVAL: '5', TIMEOUT_TO_FAIL: '1' } })).key).toBe('RetryInterval');
  });

  it.each([['HTTP_PORT', 'HttpPort', 'abc'], ['RETRY_INTERVAL', 'RetryInterval', '10s'], ['STORE_PARTITIONS', 'Store.Partitions', '1.5']])(
    'refuses a non-integer %s', (name, key, raw) => {
      const err = configError(() => resolveConfig({ env: { [name]: raw } }));
      expect(err.key).toBe(key);
      expect(err.message).toContain(key);
      expect(err.message).toContain(name);
      expect(err.message).toContain(raw);
    });

  it('refuses a non-boolean STORE_SYNC_COMMIT', () => {
    expect(configError(() => resolveConfig({ env: { STORE_SYNC_COMMIT: 'yes' } })).key).toBe('Store.SyncCommit');
  });

  it('refuses wrongly typed YAML values and groups', () => {
    expect(configError(() => resolveConfig({ file: yamlFile('HttpPort: "80"\n') })).key).toBe('HttpPort');
    expect(configError(() => resolveConfig({ file: yamlFile('Store: sqlite\n') })).key).toBe('Store');
  });

  it('validates overrides too', () => {
    expect(configError(() => resolveConfig({ overrides: { RetryInterval: 1 } })).key).toBe('RetryInterval');
  });
});

describe('keys dtm has and dtx does not use', () => {
  it('are reported when set, never silently ignored', () => {
    const { notices } = resolveConfig({ env: { TRANS_CRON_INTERVAL: '5', STORE_HOST: 'db.internal', TIME_ZONE_OFFSET: '8' } });
    expect(notices).toEqual([
      "Store.Host is accepted for dtm compatibility and has no effect in dtx: dtx's log is the embedded SQLite or Kafka, never a SQL or Redis store",
      'TransCronInterval is accepted for dtm compatibility and has no effect in dtx: dtx schedules each transaction on a timer wheel instead of polling',
      'TimeZoneOffset is accepted for dtm compatibility and has no effect in dtx: dtx writes times in UTC (RFC 3339)',
    ]);
  });

  it('cover every HttpMicroService key (dtm reads that group only in its SDKs), objects included', () => {
    const reported = new Set(UNUSED_KEYS.map(([path]) => path));
    for (const key of Object.keys(CONFIG_DEFAULTS.HttpMicroService)) expect(reported.has(`HttpMicroService.${key}`), key).toBe(true);
    const { notices } = resolveConfig({ file: yamlFile('HttpMicroService:\n  RegistryOptions: { ttl: 10 }\n') });
    expect(notices).toEqual(['HttpMicroService.RegistryOptions is accepted for dtm compatibility and has no effect in dtx: dtm reads it only in its SDKs, not in the server']);
  });

  it('are silent at their defaults', () => {
    expect(resolveConfig({}).notices).toEqual([]);
  });
});
