import { renameSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BranchServer } from '../support/branch-server.js';
import { gidOf, post, saga, waitFor, waitStatus } from '../support/dtm-client.js';
import { runDtx } from '../support/dtx-cli.js';
import { serveExpectingFailure, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { refusedPort } from '../support/free-port.js';
import { freshPrefix, startWorker, stopWorkers, waitOwnership } from '../support/kafka-workers.js';
import { AclOperationTypes as Op, AclResourceTypes as Res } from 'kafkajs';
import { OAuthIssuer, type IssuerOptions } from '../support/oauth-issuer.js';
import { grantDtx, startSecureBroker, stopSecureBroker, type SecureBroker } from '../support/secure-kafka-broker.js';
import { resolveConfig } from '../../src/config/index.js';
import { connectedAdmin, createKafka } from '../../src/log/kafka/kafka-client.js';
import { kafkaSettingsOf } from '../../src/log/kafka/kafka-settings.js';

/**
 * Store.KafkaTls and Store.KafkaSasl against a real broker whose listeners demand them
 * (test/support/secure-kafka-broker.ts): SASL_SSL with SCRAM, PLAIN and OAUTHBEARER (tokens of a
 * test issuer, test/support/oauth-issuer.ts), and mutual TLS. A worker on each runs a saga; the audit CLI reads the topics over SASL_SSL; and a worker with a wrong
 * password, no trusted CA, no client certificate or no TLS at all refuses to start, saying why; one
 * missing an ACL the docs list stops, saying what to grant.
 */
/** serve-command.ts EXIT_LOG_FAILED (sysexits' EX_IOERR); importing it would load the CLI's modules here */
const EXIT_LOG_FAILED = 74;
/** How long a refused start may take to give up: kafkajs retries ~12 s, but one request may wait 30 s on a busy machine. */
const START_GIVES_UP_MS = 180_000;

let broker: SecureBroker;
let bs: BranchServer;
const workers: DtxProcess[] = [];

beforeAll(async () => {
  [broker, bs] = await Promise.all([startSecureBroker(), BranchServer.start()]);
}, 600_000);

afterAll(async () => {
  await stopWorkers(...workers);
  await Promise.all(issuers.map((i) => i.close()));
  await bs?.close();
  await stopSecureBroker();
});

const tlsFile = (name: string) => path.join(broker.tlsDir, name);

function saslEnv(mechanism: string, password = broker.password): Record<string, string> {
  return {
    STORE_DRIVER: 'kafka',
    STORE_KAFKA_BROKERS: broker.saslSsl,
    STORE_KAFKA_TLS_ENABLE: 'true',
    STORE_KAFKA_TLS_CA_FILE: tlsFile('ca.pem'),
    STORE_KAFKA_SASL_MECHANISM: mechanism,
    STORE_KAFKA_SASL_USERNAME: broker.username,
    STORE_KAFKA_SASL_PASSWORD: password,
  };
}

const CLIENT = { clientId: 'dtx-worker', clientSecret: 'oauth-client-secret-4711' };

function oauthEnv(issuer: OAuthIssuer, secret = CLIENT.clientSecret): Record<string, string> {
  const { STORE_KAFKA_SASL_USERNAME: _u, STORE_KAFKA_SASL_PASSWORD: _p, ...env } = saslEnv('oauthbearer');
  return {
    ...env,
    STORE_KAFKA_SASL_USERNAME: CLIENT.clientId,
    STORE_KAFKA_SASL_PASSWORD: secret,
    STORE_KAFKA_SASL_TOKEN_ENDPOINT: issuer.url,
    STORE_KAFKA_SASL_TOKEN_CA_FILE: tlsFile('ca.pem'),
    STORE_KAFKA_SASL_SCOPE: 'kafka dtx',
  };
}

const issuers: OAuthIssuer[] = [];

async function issuer(options: Partial<IssuerOptions> = {}): Promise<OAuthIssuer> {
  const started = await OAuthIssuer.start(broker.tlsDir, { ...CLIENT, subject: broker.username, lifetimeS: 3600, ...options });
  issuers.push(started);
  return started;
}

function mtlsEnv(): Record<string, string> {
  return {
    STORE_DRIVER: 'kafka',
    STORE_KAFKA_BROKERS: broker.mtls,
    STORE_KAFKA_TLS_ENABLE: 'true',
    STORE_KAFKA_TLS_CA_FILE: tlsFile('ca.pem'),
    STORE_KAFKA_TLS_CERT_FILE: tlsFile('client.pem'),
    STORE_KAFKA_TLS_KEY_FILE: tlsFile('client.key'),
  };
}

/**
 * A worker on its own topics, allowed only what the documented ACLs grant `principal` on them;
 * its saga must succeed through the secured broker.
 */
async function sagaOn(env: Record<string, string>, name: string, principal: string): Promise<{ worker: DtxProcess; prefix: string; gid: string }> {
  const prefix = freshPrefix(name);
  await grantDtx(broker, prefix, principal);
  const worker = await startWorker({ prefix, partitions: 1, env });
  workers.push(worker);
  await waitOwnership([worker], 1);
  const gid = gidOf(name);
  const steps = [{ action: bs.url(`/${name}/a`), compensate: bs.url(`/${name}/c`) }];
  expect((await post(worker.api, 'submit', saga(gid, steps))).status).toBe(200);
  await waitStatus(worker.api, gid, 'succeed', 60_000);
  return { worker, prefix, gid };
}

describe('a Kafka worker on a secured broker', () => {
  it('SASL_SSL with SCRAM-SHA-512: runs a saga, never logs the password; the audit reads the topics with SASL PLAIN', async () => {
    const { worker, prefix } = await sagaOn(saslEnv('scram-sha-512'), 'scram', 'User:dtx');
    expect(worker.logs.join('\n')).not.toContain(broker.password);
    const audit = await runDtx(['replay', '--all'], { ...saslEnv('plain'), STORE_KAFKA_PREFIX: prefix, STORE_PARTITIONS: '1' }, 300_000);
    expect(audit.stderr).not.toContain(broker.password);
    expect(audit.stdout).toContain('verified 1, divergent 0, failed 0');
    expect(audit.code).toBe(0);
  });

  it('SASL_SSL with SCRAM-SHA-256 and the password from a file: runs a saga', async () => {
    const { STORE_KAFKA_SASL_PASSWORD: _p, ...env } = saslEnv('scram-sha-256');
    const secret = path.join(tempDir('dtx-kafka-secret-'), 'password');
    writeFileSync(secret, `${broker.password}\n`, { mode: 0o600 });
    await sagaOn({ ...env, STORE_KAFKA_SASL_PASSWORD_FILE: secret }, 'scram256', 'User:dtx');
  });

  it('mutual TLS with a client certificate: runs a saga', async () => {
    await sagaOn(mtlsEnv(), 'mtls', 'User:CN=dtx');
  });

  it('refuses to start, saying why: wrong password, untrusted broker, no client certificate, no TLS, no ACLs', async () => {
    const wrong = 'not-the-password-123';
    const { STORE_KAFKA_TLS_CA_FILE: _ca, ...systemCas } = saslEnv('scram-sha-512');
    const { STORE_KAFKA_TLS_CERT_FILE: _c, STORE_KAFKA_TLS_KEY_FILE: _k, ...noClientCert } = mtlsEnv();
    const { STORE_KAFKA_TLS_ENABLE: _t, STORE_KAFKA_TLS_CA_FILE: _ca2, ...plaintext } = saslEnv('scram-sha-512');
    const serve = (env: Record<string, string>) => serveExpectingFailure({ ...env, STORE_KAFKA_PREFIX: freshPrefix('refused'), INTERNAL_GRPC_PORT: '0' }, [], START_GIVES_UP_MS);
    const [badPassword, untrusted, noCert, noTls, noAcls] = await Promise.all([
      serve(saslEnv('scram-sha-512', wrong)),
      serve(systemCas),
      serve(noClientCert),
      serve(plaintext),
      serve(saslEnv('scram-sha-512')), // authenticated, but no ACL grants it anything on its prefix
    ]);
    for (const r of [badPassword, untrusted, noCert, noTls]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('dtx: cannot start: cannot reach the Kafka brokers');
    }
    expect(badPassword.stderr).toMatch(/SASL SCRAM SHA512 authentication failed.*refused the SASL user or password \(Store.KafkaSasl\)/);
    expect(badPassword.stderr).not.toContain(wrong);
    // the hints, not kafkajs's last error: on a busy machine the last try may time out after refusals
    expect(untrusted.stderr).toMatch(/dtx: cannot start: .*; the brokers' certificate is not trusted or not for this host \(Store.KafkaTls.CaFile/);
    expect(noCert.stderr).toMatch(/refused the client certificate \(Store.KafkaTls.CertFile and KeyFile\)/);
    expect(noTls.stderr).toMatch(/dtx: cannot start: .*; a broker that closes the connection at once may be a TLS listener \(Store.KafkaTls.Enable\)/);
    expect(noAcls.code).toBe(1);
    expect(noAcls.stderr).toMatch(/dtx: cannot start: the Kafka brokers refused this user an operation \(TOPIC_AUTHORIZATION_FAILED.*grant it the ACLs docs\/kafka.md lists/);
  });

  it('stops, saying what to grant, when a group or transactional-id ACL is missing', async () => {
    const withholding = async (withhold: (r: Res, o: Op) => boolean) => {
      const prefix = freshPrefix('acl');
      await grantDtx(broker, prefix, 'User:dtx', withhold);
      return { prefix, ...(await serveExpectingFailure({ ...saslEnv('scram-sha-512'), STORE_KAFKA_PREFIX: prefix, STORE_PARTITIONS: '1', INTERNAL_GRPC_PORT: '0' }, [], START_GIVES_UP_MS)) };
    };
    const [noGroup, noGroupRead, noTxn] = await Promise.all([
      withholding((r) => r === Res.GROUP), // FindCoordinator of the group refused: caught at start
      withholding((r, o) => r === Res.GROUP && o === Op.READ), // JoinGroup refused: the replica's (while the log opens) or the workers' (once started)
      withholding((r) => r === Res.TRANSACTIONAL_ID), // InitProducerId refused at the takeover: once started
    ]);
    expect(noGroup.code).toBe(1);
    expect(noGroup.stderr).toMatch(/dtx: cannot start: the Kafka brokers refused this user an operation \(GROUP_AUTHORIZATION_FAILED.*grant it the ACLs/);
    // the audit reads through a consumer group too: the same line, at once
    const audit = await runDtx(['replay', '--all'], { ...saslEnv('scram-sha-512'), STORE_KAFKA_PREFIX: noGroup.prefix, STORE_PARTITIONS: '1' }, 120_000);
    expect(audit.code).toBe(1);
    expect(audit.stderr).toMatch(/dtx replay: the Kafka brokers refused this user an operation \(GROUP_AUTHORIZATION_FAILED.*Store.KafkaPrefix 'acl-/);
    // the replica's group is joined while the log opens, the workers' group after: either refusal may come first
    expect([1, EXIT_LOG_FAILED]).toContain(noGroupRead.code);
    expect(noGroupRead.stderr).toMatch(/dtx: (cannot start|stopping): the Kafka brokers refused this user an operation \(GROUP_AUTHORIZATION_FAILED.*Store.KafkaPrefix 'acl-/);
    // InitProducerId is refused at the first takeover, which starts as soon as the group assigns the
    // partition: on a loaded machine that can be before the listeners are up (start not finished)
    expect([1, EXIT_LOG_FAILED]).toContain(noTxn.code);
    expect(noTxn.stderr).toMatch(/dtx: (cannot start|stopping): the Kafka brokers refused this user an operation \(TRANSACTIONAL_ID_AUTHORIZATION_FAILED.*Store.KafkaPrefix 'acl-/);
  });
});

describe('a Kafka worker on a secured broker, with OAUTHBEARER', () => {
  it('runs sagas on client-credentials tokens past the first one\'s expiry, and after an issuer outage longer than a token; the audit reads with one too', async () => {
    const lifetimeS = 20;
    const tokens = await issuer({ lifetimeS });
    const { worker, prefix } = await sagaOn(oauthEnv(tokens), 'oauth', 'User:dtx');
    expect(tokens.issued[0]!.body.get('scope')).toBe('kafka dtx');
    const sagaNow = async (name: string) => {
      // a submit while the worker reconnects may be answered 503 (retryable): a fresh gid each try
      const res = await waitFor(async () => {
        const gid = gidOf(name);
        return { gid, status: (await post(worker.api, 'submit', saga(gid, [{ action: bs.url(`/${name}/a`), compensate: bs.url(`/${name}/c`) }]))).status };
      }, (r) => r.status === 200, 120_000, `a ${name} saga accepted`);
      await waitStatus(worker.api, res.gid, 'succeed', 60_000);
    };
    // sessions end with their token (KIP-368): the worker must bring new ones, from the issuer
    const first = tokens.issued[0]!.at;
    await waitFor(async () => Date.now() - first > (lifetimeS + 5) * 1000 && tokens.issued.length >= 2, (v) => v, 120_000, 'the first token to expire');
    await sagaNow('oauth-late');
    // the issuer goes down until every token the worker holds has expired, then comes back
    await tokens.close();
    const last = tokens.issued.at(-1)!.at;
    await waitFor(async () => Date.now() - last > (lifetimeS + 3) * 1000, (v) => v, 120_000, 'the last token to expire');
    const back = await issuer({ lifetimeS, port: Number(new URL(tokens.url).port) });
    await sagaNow('oauth-back');
    expect(back.issued.length).toBeGreaterThanOrEqual(1);
    expect(worker.proc.exitCode).toBeNull(); // the same worker, up through the outage
    expect(worker.logs.join('\n')).not.toContain(CLIENT.clientSecret);
    const audit = await runDtx(['replay', '--all'], { ...oauthEnv(back), STORE_KAFKA_PREFIX: prefix, STORE_PARTITIONS: '1' }, 300_000);
    // at least the three sagas that finished; submits answered 503 while the worker reconnected may
    // have been written later (the write outlived Store.KafkaReplyTimeout) and are audited too
    expect(audit.stdout).toMatch(/verified \d+, divergent 0, failed 0/);
    expect(Number(/verified (\d+),/.exec(audit.stdout)![1])).toBeGreaterThanOrEqual(3);
    expect(audit.code).toBe(0);
  });

  it('refuses to start, saying why: the issuer refuses the client, the brokers refuse its tokens, the issuer is down', async () => {
    // the issuer that is down had a port no port-0 listener can take (a worker's internal service took a released ephemeral one once)
    const [tokens, stranger, elsewhere, down] = await Promise.all([issuer(), issuer({ sign: 'stranger' }), issuer({ sign: 'wrong-audience' }), refusedPort().then((port) => issuer({ port }))]);
    await down.close();
    const serve = (env: Record<string, string>) => serveExpectingFailure({ ...env, STORE_KAFKA_PREFIX: freshPrefix('oauth-refused'), INTERNAL_GRPC_PORT: '0' }, [], START_GIVES_UP_MS);
    const [badSecret, unsigned, otherAudience, unreachable] = await Promise.all([serve(oauthEnv(tokens, 'not-the-secret-1234')), serve(oauthEnv(stranger)), serve(oauthEnv(elsewhere)), serve(oauthEnv(down))]);
    for (const r of [badSecret, unsigned, otherAudience, unreachable]) expect(r.code).toBe(1);
    expect(badSecret.stderr).toMatch(/dtx: cannot start: the OAuth token endpoint https:\/\/127\.0\.0\.1:\d+\/oauth\/token \(Store.KafkaSasl.TokenEndpoint\) refused the client .* HTTP 401: invalid_client \(client authentication failed\)/);
    expect(badSecret.stderr).not.toContain('not-the-secret-1234');
    expect(tokens.statuses).toContain(401);
    for (const r of [unsigned, otherAudience]) {
      expect(r.stderr).toMatch(/dtx: cannot start: cannot reach the Kafka brokers .*SASL OAUTHBEARER authentication failed: the broker 127\.0\.0\.1:\d+ refused the token: \{"status":"invalid_token"\}; the brokers refused the OAuth token/);
    }
    expect(stranger.issued.length + elsewhere.issued.length).toBeGreaterThanOrEqual(2);
    expect(unreachable.stderr).toMatch(/dtx: cannot start: cannot get an OAuth token from https:\/\/127\.0\.0\.1:\d+\/oauth\/token \(Store.KafkaSasl.TokenEndpoint\): .*ECONNREFUSED/);
  });

  it('with the token in a file (Store.KafkaSasl.TokenFile): connects, and each new connection reads the file as rewritten', async () => {
    const [tokens, stranger] = await Promise.all([issuer(), issuer({ sign: 'stranger' })]);
    const file = path.join(tempDir('dtx-token-file-'), 'token');
    // as the kubelet swaps a projected token: a new file renamed over it
    const rewrite = (token: string) => (writeFileSync(`${file}.new`, `${token}\n`), renameSync(`${file}.new`, file));
    rewrite(tokens.token());
    const { STORE_KAFKA_SASL_USERNAME: _u, STORE_KAFKA_SASL_PASSWORD: _p, ...env } = saslEnv('oauthbearer');
    const settings = kafkaSettingsOf(resolveConfig({ env: { ...env, STORE_KAFKA_SASL_TOKEN_FILE: file } }).config, 'dtx-token-file-test');
    const kafka = createKafka(settings, pino({ level: 'silent' }));
    const brokersSeen = async (): Promise<number> => {
      const admin = await connectedAdmin(kafka, settings);
      return (await admin.describeCluster().finally(() => admin.disconnect())).brokers.length;
    };
    expect(await brokersSeen()).toBe(1);
    rewrite(stranger.token()); // signed by a key the brokers do not know
    await expect(brokersSeen()).rejects.toThrow(/refused the token: \{"status":"invalid_token"\}/);
    rewrite(tokens.token());
    expect(await brokersSeen()).toBe(1);
    expect(tokens.issued).toEqual([]); // nothing asked the endpoint: the tokens came from the file
  });
});
