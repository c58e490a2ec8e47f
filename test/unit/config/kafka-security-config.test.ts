import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ConfigError } from '../../../src/config/index.js';
import { kafkaSettingsOf } from '../../../src/log/kafka/kafka-settings.js';
import { tempDir as makeTempDir } from '../../support/temp-dir.js';
import { makeTestCerts } from '../../support/test-certs.js';
import { configError } from '../../support/config-error.js';

const dir = makeTempDir('dtx-kafka-sec-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certs = makeTestCerts();

function file(name: string, content: string | Buffer): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}


const refused = (env: Record<string, string>): ConfigError => configError(() => resolveConfig({ env }));
const OAUTH = { STORE_DRIVER: 'kafka', STORE_KAFKA_TLS_ENABLE: 'true', STORE_KAFKA_SASL_MECHANISM: 'oauthbearer', STORE_KAFKA_SASL_USERNAME: 'client-1', STORE_KAFKA_SASL_PASSWORD: 'client-secret', STORE_KAFKA_SASL_TOKEN_ENDPOINT: 'https://idp.example/oauth2/token' };

describe('Store.KafkaTls and Store.KafkaSasl', () => {
  it('are off by default: the Kafka client gets neither TLS nor SASL', () => {
    const settings = kafkaSettingsOf(resolveConfig({ env: { STORE_DRIVER: 'kafka' } }).config, 'w');
    expect(settings.tls).toBeUndefined();
    expect(settings.sasl).toBeUndefined();
  });

  it('read from env: TLS with the system CAs, SCRAM credentials', () => {
    const { config, notices } = resolveConfig({
      env: { STORE_DRIVER: 'kafka', STORE_KAFKA_TLS_ENABLE: 'true', STORE_KAFKA_SASL_MECHANISM: 'scram-sha-512', STORE_KAFKA_SASL_USERNAME: 'dtx', STORE_KAFKA_SASL_PASSWORD: 's3cret-pass' },
    });
    const settings = kafkaSettingsOf(config, 'w');
    expect(settings.tls).toEqual({});
    expect(settings.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'dtx', password: 's3cret-pass' });
    expect(notices).toEqual([]);
  });

  it('read the PEM files once, at settings time', () => {
    const { config } = resolveConfig({
      env: { STORE_KAFKA_TLS_ENABLE: '1', STORE_KAFKA_TLS_CA_FILE: file('ca.pem', certs.ca), STORE_KAFKA_TLS_CERT_FILE: file('c.pem', certs.clientCert), STORE_KAFKA_TLS_KEY_FILE: file('k.pem', certs.clientKey) },
    });
    expect(kafkaSettingsOf(config, 'w').tls).toEqual({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
  });

  it.each([
    ['a file that cannot be read', { STORE_KAFKA_TLS_CA_FILE: join(dir, 'missing.pem') }, 'Store.KafkaTls.CaFile', /missing\.pem.*cannot read it \(ENOENT/],
    ['a CA file without a certificate', { STORE_KAFKA_TLS_CA_FILE: file('junk.pem', 'not a certificate') }, 'Store.KafkaTls.CaFile', /no PEM certificate/],
    ['a key that is not the certificate\'s', { STORE_KAFKA_TLS_CERT_FILE: file('c2.pem', certs.clientCert), STORE_KAFKA_TLS_KEY_FILE: file('k2.pem', certs.serverKey) }, 'Store.KafkaTls.CertFile', /KeyFile=.*mismatch/],
  ])('%s is a config error naming its key', (_what, env, key, message) => {
    const { config } = resolveConfig({ env: { STORE_KAFKA_TLS_ENABLE: 'true', ...env } });
    const error = configError(() => kafkaSettingsOf(config, 'w'));
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
  });

  it('PasswordFile: the first line of a mounted secret; refused empty, or beside Password', () => {
    const sasl = { STORE_KAFKA_SASL_MECHANISM: 'scram-sha-256', STORE_KAFKA_SASL_USERNAME: 'dtx' };
    const { config } = resolveConfig({ env: { ...sasl, STORE_KAFKA_SASL_PASSWORD_FILE: file('secret', 'from-a-file\n') } });
    expect(kafkaSettingsOf(config, 'w').sasl).toEqual({ mechanism: 'scram-sha-256', username: 'dtx', password: 'from-a-file' });
    const empty = resolveConfig({ env: { ...sasl, STORE_KAFKA_SASL_PASSWORD_FILE: file('empty', '\n') } }).config;
    expect(configError(() => kafkaSettingsOf(empty, 'w')).key).toBe('Store.KafkaSasl.PasswordFile');
    expect(configError(() => resolveConfig({ env: { ...sasl, STORE_KAFKA_SASL_PASSWORD: 'p', STORE_KAFKA_SASL_PASSWORD_FILE: '/x' } })).key).toBe('Store.KafkaSasl.PasswordFile');
  });

  it.each([
    [{ STORE_KAFKA_TLS_CA_FILE: '/ca.pem' }, 'Store.KafkaTls.CaFile', /needs Store.KafkaTls.Enable true/],
    [{ STORE_KAFKA_TLS_ENABLE: 'true', STORE_KAFKA_TLS_CERT_FILE: '/c.pem' }, 'Store.KafkaTls.KeyFile', /CertFile and KeyFile go together/],
    [{ STORE_KAFKA_SASL_MECHANISM: 'gssapi' }, 'Store.KafkaSasl.Mechanism', /plain\|scram-sha-256\|scram-sha-512/],
    [{ STORE_KAFKA_SASL_MECHANISM: 'plain', STORE_KAFKA_SASL_PASSWORD: 'p' }, 'Store.KafkaSasl.Username', /must not be empty with Store.KafkaSasl.Mechanism plain/],
    [{ STORE_KAFKA_SASL_MECHANISM: 'scram-sha-256', STORE_KAFKA_SASL_USERNAME: 'u' }, 'Store.KafkaSasl.Password', /must not be empty/],
    [{ STORE_KAFKA_SASL_USERNAME: 'u', STORE_KAFKA_SASL_PASSWORD: 'p' }, 'Store.KafkaSasl.Mechanism', /must be set when/],
    [{ STORE_KAFKA_SASL_USERNAME: 'u'.repeat(256) }, 'Store.KafkaSasl.Username', /at most 255/],
    [{ STORE_KAFKA_TLS_CA_FILE: 'x'.repeat(4097) }, 'Store.KafkaTls.CaFile', /at most 4096/],
    [{ ...OAUTH, STORE_KAFKA_SASL_TOKEN_ENDPOINT: '' }, 'Store.KafkaSasl.TokenEndpoint', /must be the http\(s\) URL of the OAuth token endpoint/],
    [{ ...OAUTH, STORE_KAFKA_SASL_TOKEN_ENDPOINT: 'ftp://idp/token' }, 'Store.KafkaSasl.TokenEndpoint', /http\(s\) URL/],
    [{ ...OAUTH, STORE_KAFKA_SASL_TOKEN_ENDPOINT: 'https://u:p@idp/token' }, 'Store.KafkaSasl.TokenEndpoint', /no credentials/],
    [{ ...OAUTH, STORE_KAFKA_SASL_TOKEN_ENDPOINT: 'http://idp/token', STORE_KAFKA_SASL_TOKEN_CA_FILE: '/ca.pem' }, 'Store.KafkaSasl.TokenCaFile', /needs an https/],
    [{ ...OAUTH, STORE_KAFKA_SASL_SCOPE: 'a "b"' }, 'Store.KafkaSasl.Scope', /scope tokens/],
    [{ ...OAUTH, STORE_KAFKA_SASL_EXTENSIONS: 'logical-cluster=x' }, 'Store.KafkaSasl.Extensions.0', /key=value/],
    [{ ...OAUTH, STORE_KAFKA_SASL_EXTENSIONS: 'a=1,auth=x' }, 'Store.KafkaSasl.Extensions', /must not name the key 'auth'/],
    [{ STORE_KAFKA_SASL_TOKEN_ENDPOINT: 'https://idp/token' }, 'Store.KafkaSasl.TokenEndpoint', /needs Store.KafkaSasl.Mechanism oauthbearer/],
    [{ STORE_KAFKA_SASL_TOKEN_FILE: '/var/run/secrets/tokens/kafka' }, 'Store.KafkaSasl.TokenFile', /needs Store.KafkaSasl.Mechanism oauthbearer/],
    [{ ...OAUTH, STORE_KAFKA_SASL_TOKEN_FILE: '/t' }, 'Store.KafkaSasl.TokenEndpoint', /must be empty with Store.KafkaSasl.TokenFile/],
    [{ STORE_KAFKA_SASL_MECHANISM: 'oauthbearer', STORE_KAFKA_SASL_TOKEN_FILE: '/t', STORE_KAFKA_SASL_USERNAME: 'u' }, 'Store.KafkaSasl.Username', /must be empty with Store.KafkaSasl.TokenFile/],
  ])('refuses %j naming %s', (env, key, reason) => {
    const err = refused(env);
    expect(err.key).toBe(key);
    expect(err.message).toMatch(reason);
  });

  it('never shows a secret in a refusal: the SASL password, a token', () => {
    const password = `pw-${'z'.repeat(1100)}`;
    const bad = refused({ STORE_KAFKA_SASL_MECHANISM: 'plain', STORE_KAFKA_SASL_USERNAME: 'u', STORE_KAFKA_SASL_PASSWORD: password });
    expect(bad.key).toBe('Store.KafkaSasl.Password');
    expect(bad.message).toContain('(hidden)');
    expect(bad.message).not.toContain('zzzz');
    const token = 'a-valid-token-of-32-characters!!';
    const badToken = refused({ AUTH_TOKENS: `${token},short` });
    expect(badToken.key).toBe('Auth.Tokens.1');
    expect(badToken.message).not.toContain(token);
    expect(badToken.message).not.toContain('short');
  });

  it('warns when SASL PLAIN would send the password without TLS', () => {
    const sasl = { STORE_DRIVER: 'kafka', STORE_KAFKA_SASL_MECHANISM: 'plain', STORE_KAFKA_SASL_USERNAME: 'u', STORE_KAFKA_SASL_PASSWORD: 'p' };
    expect(resolveConfig({ env: sasl }).notices).toEqual([expect.stringMatching(/sends the Kafka password unencrypted/)]);
    expect(resolveConfig({ env: { ...sasl, STORE_KAFKA_TLS_ENABLE: 'true' } }).notices).toEqual([]);
    expect(resolveConfig({ env: { ...sasl, STORE_KAFKA_SASL_MECHANISM: 'scram-sha-256' } }).notices).toEqual([]);
  });

  it('oauthbearer: the client id and secret, the endpoint, its CA, the scope and the extensions; warned over http off this machine', () => {
    const { config, notices } = resolveConfig({
      env: { ...OAUTH, STORE_KAFKA_SASL_TOKEN_CA_FILE: file('idp-ca.pem', certs.ca), STORE_KAFKA_SASL_SCOPE: 'kafka dtx', STORE_KAFKA_SASL_EXTENSIONS: 'logicalCluster=lkc-1,identityPoolId=pool-2' },
    });
    expect(notices).toEqual([]);
    expect(config.Store.KafkaSasl).toMatchObject({ TokenEndpoint: 'https://idp.example/oauth2/token', Scope: 'kafka dtx', Extensions: ['logicalCluster=lkc-1', 'identityPoolId=pool-2'] });
    const sasl = kafkaSettingsOf(config, 'w').sasl;
    expect(sasl).toMatchObject({ mechanism: 'oauthbearer', oauthBearerProvider: expect.any(Function), authenticationProvider: expect.any(Function) });
    const cleartext = (host: string) => resolveConfig({ env: { ...OAUTH, STORE_KAFKA_SASL_TOKEN_ENDPOINT: `http://${host}/token` } }).notices;
    expect(cleartext('idp.internal:8080')).toEqual([expect.stringMatching(/TokenEndpoint http:\/\/idp.internal:8080 is plain http: the OAuth client secret and the tokens cross the network unencrypted/)]);
    expect(cleartext('127.0.0.1:8080')).toEqual([]);
    expect(configError(() => kafkaSettingsOf(resolveConfig({ env: { ...OAUTH, STORE_KAFKA_SASL_TOKEN_CA_FILE: file('junk-ca.pem', 'junk') } }).config, 'w')).key).toBe('Store.KafkaSasl.TokenCaFile');
  });

  it('oauthbearer with a token file: no client, the file read at settings time, a bad one refused naming the key', () => {
    const env = { STORE_DRIVER: 'kafka', STORE_KAFKA_TLS_ENABLE: 'true', STORE_KAFKA_SASL_MECHANISM: 'oauthbearer', STORE_KAFKA_SASL_EXTENSIONS: 'logicalCluster=lkc-1' };
    const { config, notices } = resolveConfig({ env: { ...env, STORE_KAFKA_SASL_TOKEN_FILE: file('token', 'eyJhbGciOi.eyJzdWIi.c2ln\n') } });
    expect(notices).toEqual([]);
    const plain = resolveConfig({ env: { ...env, STORE_KAFKA_TLS_ENABLE: 'false', STORE_KAFKA_SASL_TOKEN_FILE: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }).notices;
    expect(plain).toEqual([expect.stringMatching(/oauthbearer without Store.KafkaTls.Enable sends the bearer token unencrypted/), expect.stringMatching(/is the pod's default service-account token, whose audience is the Kubernetes API/)]);
    expect(kafkaSettingsOf(config, 'w').sasl).toMatchObject({ mechanism: 'oauthbearer', oauthBearerProvider: expect.any(Function) });
    const junk = configError(() => kafkaSettingsOf(resolveConfig({ env: { ...env, STORE_KAFKA_SASL_TOKEN_FILE: file('junk-token', 'two tokens') } }).config, 'w'));
    expect([junk.key, junk.message]).toEqual(['Store.KafkaSasl.TokenFile', expect.stringMatching(/one token of at most 16384 token characters/)]);
    const missing = configError(() => kafkaSettingsOf(resolveConfig({ env: { ...env, STORE_KAFKA_SASL_TOKEN_FILE: join(dir, 'none') } }).config, 'w'));
    expect([missing.key, missing.message]).toEqual(['Store.KafkaSasl.TokenFile', expect.stringMatching(/cannot read it/)]);
    const large = configError(() => kafkaSettingsOf(resolveConfig({ env: { ...env, STORE_KAFKA_SASL_TOKEN_FILE: file('a-log', 'x'.repeat(20_000)) } }).config, 'w'));
    expect(large.message).toMatch(/it holds 20000 bytes: this setting's file has at most 17408/);
    const folder = configError(() => kafkaSettingsOf(resolveConfig({ env: { ...env, STORE_KAFKA_SASL_TOKEN_FILE: dir } }).config, 'w'));
    expect(folder.message).toMatch(/it is not a regular file/);
  });
});
