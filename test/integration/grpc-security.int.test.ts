import * as grpc from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, tempDir, type DtxProcess } from '../support/dtx-process.js';
import { gidOf } from '../support/dtm-client.js';
import { dtmClient, healthClient, reflectedServices, unary } from '../support/dtm-grpc-client.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

/** `Auth.Tokens` and `Tls.*` on the gRPC ingress, against real dtx processes. */
const TOKEN = 'grpc-ingress-test-token-0123456789';
const bearer = (token: string): grpc.Metadata => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

describe('gRPC ingress with Auth.Tokens', () => {
  let dtx: DtxProcess;
  let client: grpc.Client;
  let target: string;
  beforeAll(async () => {
    dtx = await startDtx({ env: { AUTH_TOKENS: TOKEN } });
    target = `127.0.0.1:${dtx.grpcPort}`;
    client = dtmClient(target);
  });
  afterAll(async () => {
    client?.close();
    await dtx?.kill();
  });

  it('a call without a token is Unauthenticated, with a token it runs', async () => {
    const none = await unary(client, 'NewGid', {});
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.details).toBe('authentication required: send metadata authorization: Bearer <token>');
    expect(none.trailer?.get('dtx-error-code')).toEqual(['DTX_UNAUTHORIZED']);
    const ok = await unary<{ Gid: string }>(client, 'NewGid', {}, bearer(TOKEN));
    expect(ok.code).toBe(grpc.status.OK);
    expect(ok.value?.Gid).toHaveLength(22);
  });

  it('a wrong token is Unauthenticated and the handler never runs', async () => {
    const gid = gidOf('auth-wrong');
    const r = await unary(client, 'Submit', { Gid: gid, TransType: 'saga', Steps: 'null' }, bearer(`${TOKEN}x`));
    expect(r.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(r.details).toBe('invalid bearer token');
    const q = await fetch(`${dtx.api}/query?gid=${gid}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await q.json()).toEqual({ transaction: null, branches: [] });
  });

  it('Submit with the token runs the transaction', async () => {
    const gid = gidOf('auth-ok');
    expect((await unary(client, 'Submit', { Gid: gid, TransType: 'saga', Steps: 'null', TransOptions: { WaitResult: true } }, bearer(TOKEN))).code).toBe(grpc.status.OK);
  });

  it('health checking needs no token; reflection does', async () => {
    const health = healthClient(target);
    try {
      expect((await unary<{ status: string }>(health, 'Check', { service: '' })).value?.status).toBe('SERVING');
    } finally {
      health.close();
    }
    expect(await reflectedServices(target)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await reflectedServices(target, bearer(TOKEN))).toMatchObject({ services: expect.arrayContaining(['dtmgimp.Dtm']) as unknown });
  });
});

describe('gRPC ingress with Tls.CertFile/KeyFile and Tls.ClientCaFile (mutual TLS)', () => {
  let dtx: DtxProcess;
  let certs: TestCerts;
  let target: string;
  beforeAll(async () => {
    certs = makeTestCerts();
    const dir = tempDir('dtx-grpc-tls-');
    const file = (name: string, content: Buffer): string => {
      writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };
    dtx = await startDtx({
      env: { TLS_CERT_FILE: file('server.crt', certs.serverCert), TLS_KEY_FILE: file('server.key', certs.serverKey), TLS_CLIENT_CA_FILE: file('ca.crt', certs.ca) },
    });
    target = `127.0.0.1:${dtx.grpcPort}`;
  });
  afterAll(async () => {
    await dtx?.kill();
  });

  const newGidWith = async (credentials: grpc.ChannelCredentials) => {
    const client = dtmClient(target, credentials);
    try {
      return await unary<{ Gid: string }>(client, 'NewGid', {}, new grpc.Metadata(), 5_000);
    } finally {
      client.close();
    }
  };

  it('a client trusting the CA with a client certificate is served', async () => {
    const r = await newGidWith(grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert));
    expect(r.code).toBe(grpc.status.OK);
    expect(r.value?.Gid).toHaveLength(22);
  });

  it('a client without a client certificate is refused', async () => {
    const r = await newGidWith(grpc.credentials.createSsl(certs.ca));
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a client that does not trust the server certificate is refused', async () => {
    const r = await newGidWith(grpc.credentials.createSsl(certs.otherCa, certs.clientKey, certs.clientCert));
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a plaintext client is refused', async () => {
    const r = await newGidWith(grpc.credentials.createInsecure());
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
  });
});
