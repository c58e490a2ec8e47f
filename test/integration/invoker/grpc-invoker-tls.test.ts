import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcInvoker } from '../../../src/invoker/grpc-invoker.js';
import type { BranchCall } from '../../../src/invoker/invoker.js';
import { startGrpcBranchServer } from './grpc-branch-server.js';
import type { GrpcBranchServer } from './grpc-branch-server.js';
import { splitServerMethod } from './split-server-method.js';
import { makeTestCerts } from '../../support/test-certs.js';
import type { TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';
import { resolveConfig } from '../../../src/config/index.js';
import { TlsSettings } from '../../../src/tls/tls-settings.js';

function call(url: string): BranchCall {
  return {
    gid: 'g-tls', transType: 'saga', branchId: '01', op: 'action', url, protocol: 'grpc',
    payload: new Uint8Array([1, 2, 3]), headers: {}, timeoutMs: 5_000,
  };
}

interface Pems {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}
const sslOf = (tls: Pems): grpc.ChannelCredentials => grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);

/** One call through a fresh invoker with these TLS files (none: plaintext); the invoker is closed afterwards. */
async function callWith(tls: Pems | undefined, url: string): Promise<Awaited<ReturnType<GrpcInvoker['call']>>> {
  const invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod, ...(tls ? { credentials: sslOf(tls) } : {}) });
  try {
    return await invoker.call(call(url));
  } finally {
    await invoker.close();
  }
}

describe('GrpcInvoker over mutual TLS (a real grpc-js server requiring client certificates)', () => {
  let certs: TestCerts;
  let server: GrpcBranchServer;
  let url: string;

  beforeAll(async () => {
    certs = makeTestCerts();
    const credentials = grpc.ServerCredentials.createSsl(certs.ca, [{ cert_chain: certs.serverCert, private_key: certs.serverKey }], true);
    server = await startGrpcBranchServer(credentials);
    url = `${server.target}/test.Branch/Ok`;
  });
  afterAll(async () => {
    await server.close();
  });

  it('accepts the invoker configured with the CA and a client certificate signed by it', async () => {
    const out = await callWith({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, url);
    expect(out).toEqual({ result: 'SUCCESS', message: '' });
    expect(server.calls.map((c) => [...c.payload])).toEqual([[1, 2, 3]]);
  });

  it('the connection check runs before TLS and leaves it to the credentials it wraps', async () => {
    const invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod, credentials: sslOf({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }), connectionGuard: () => () => undefined });
    try {
      expect(await invoker.call(call(url))).toEqual({ result: 'SUCCESS', message: '' });
    } finally {
      await invoker.close();
    }
  });

  it('refuses an invoker without a client certificate → ERROR (UNAVAILABLE), no call', async () => {
    const before = server.calls.length;
    const out = await callWith({ ca: certs.ca }, url);
    expect(out.result).toBe('ERROR');
    expect(out.message).toContain('UNAVAILABLE');
    expect(out.message).toMatch(/certificate required/i);
    expect(server.calls.length).toBe(before);
  });

  it('a plaintext invoker (dtm’s default) cannot talk to it → ERROR', async () => {
    const out = await callWith(undefined, url);
    expect(out.result).toBe('ERROR');
  });

  it('an invoker that does not trust the server’s CA → ERROR, no call', async () => {
    const before = server.calls.length;
    const out = await callWith({ ca: certs.otherCa, cert: certs.clientCert, key: certs.clientKey }, url);
    expect(out.result).toBe('ERROR');
    expect(out.message).toMatch(/certificate/i);
    expect(server.calls.length).toBe(before);
  });

  it('Invoker.GrpcTls without a CA file trusts only the system\'s roots: the test CA\'s server is refused → ERROR, no call', async () => {
    const dir = tempDir('dtx-grpc-no-ca-');
    for (const [name, pem] of [['client.crt', certs.clientCert], ['client.key', certs.clientKey]] as const) writeFileSync(path.join(dir, name), pem);
    const env = { INVOKER_GRPC_TLS_CERT_FILE: path.join(dir, 'client.crt'), INVOKER_GRPC_TLS_KEY_FILE: path.join(dir, 'client.key') };
    const settings = TlsSettings.of(resolveConfig({ env }).config, pino({ level: 'silent' }));
    const invoker = new GrpcInvoker({ parseServerMethod: splitServerMethod, credentials: settings.branches!.channelCredentials() });
    const before = server.calls.length;
    try {
      const out = await invoker.call(call(url));
      expect(out.result).toBe('ERROR');
      expect(out.message).toMatch(/certificate/i);
      expect(server.calls.length).toBe(before);
    } finally {
      await invoker.close();
      settings.close();
    }
  });
});
