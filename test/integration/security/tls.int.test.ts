import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveExpectingFailure, startDtx, type DtxProcess } from '../../support/dtx-process.js';
import { makeTestCerts, type TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

/** TLS of the HTTP ingress (Tls.CertFile/KeyFile), and mutual TLS with Tls.ClientCaFile. */
let certs: TestCerts;
let file: (name: string, pem: Buffer | string) => string;
let tls: DtxProcess;
let mtls: DtxProcess;
beforeAll(async () => {
  certs = makeTestCerts();
  const dir = tempDir('dtx-tls-');
  file = (name: string, pem: Buffer | string) => {
    const p = path.join(dir, name);
    writeFileSync(p, pem, { mode: 0o600 });
    return p;
  };
  const env = { TLS_CERT_FILE: file('server.crt', certs.serverCert), TLS_KEY_FILE: file('server.key', certs.serverKey) };
  [tls, mtls] = await Promise.all([startDtx({ env }), startDtx({ env: { ...env, TLS_CLIENT_CA_FILE: file('ca.crt', certs.ca) } })]);
});
afterAll(async () => {
  await Promise.all([tls?.kill(), mtls?.kill()]);
});

const get = (port: number, connect: ConstructorParameters<typeof Agent>[0] extends infer O ? (O extends { connect?: infer C } ? C : never) : never) =>
  undiciFetch(`https://127.0.0.1:${port}/api/dtmsvr/newGid`, { dispatcher: new Agent({ connect }) });

describe('Tls', () => {
  it('serves HTTPS with the configured certificate', async () => {
    const r = await get(tls.port, { ca: certs.ca });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { dtm_result: string }).dtm_result).toBe('SUCCESS');
    expect(tls.logs.some((l) => l.includes('"dtx listening"') && l.includes('"tls":true'))).toBe(true);
  });

  it('does not answer plaintext HTTP', async () => {
    await expect(fetch(`http://127.0.0.1:${tls.port}/api/ping`).then((r) => r.status)).rejects.toThrow();
  });

  it('with Tls.ClientCaFile, refuses clients without a certificate the CA signed', async () => {
    await expect(get(mtls.port, { ca: certs.ca })).rejects.toThrow();
    const ok = await get(mtls.port, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    expect(ok.status).toBe(200);
  });
});

describe('PEM files of Tls and Invoker.GrpcTls', () => {
  it('a missing file, a CA file without a certificate or a key of another certificate stops the start: exit 2 naming the key', async () => {
    const cert = file('s.crt', certs.serverCert);
    const key = file('s.key', certs.serverKey);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ TLS_CERT_FILE: path.join(path.dirname(cert), 'missing.crt'), TLS_KEY_FILE: key }, /\[Tls.CertFile\].*cannot read it \(ENOENT/],
      [{ TLS_CERT_FILE: cert, TLS_KEY_FILE: file('other.key', certs.clientKey) }, /\[Tls.CertFile\].*with Tls.KeyFile=.*mismatch/],
      [{ TLS_CERT_FILE: cert, TLS_KEY_FILE: key, TLS_CLIENT_CA_FILE: file('junk-ca.pem', 'junk') }, /\[Tls.ClientCaFile\].*no PEM certificate/],
      [{ INVOKER_GRPC_TLS_CA_FILE: file('junk-grpc-ca.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }, /\[Invoker.GrpcTls.CaFile\]/],
    ];
    const results = await Promise.all(cases.map(([env]) => serveExpectingFailure(env)));
    results.forEach((r, i) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  });
});
