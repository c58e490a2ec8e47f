import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../../support/dtx-process.js';
import { waitFor } from '../../support/dtm-client.js';
import { makeTestCerts, type TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Tls.* reloaded without a restart (src/ingress/tls-reloader.ts): the files are replaced, SIGHUP,
 * and new connections to both ingress ports get the new certificate; files that cannot be used
 * leave the old one in service. The process is the real one, its files real PEM files.
 */
let certs: TestCerts;
let dir: string;
let dtx: DtxProcess;
const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;

beforeAll(async () => {
  certs = makeTestCerts();
  dir = tempDir('dtx-tls-reload-');
  writeFileSync(path.join(dir, 'tls.crt'), certs.serverCert, { mode: 0o600 });
  writeFileSync(path.join(dir, 'tls.key'), certs.serverKey, { mode: 0o600 });
  dtx = await startDtx({ env: { TLS_CERT_FILE: path.join(dir, 'tls.crt'), TLS_KEY_FILE: path.join(dir, 'tls.key') } });
});
afterAll(async () => {
  await dtx?.kill();
});

/** The certificate a new TLS connection to `port` is served (h2 offered, as a gRPC client does). */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: certs.ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** A real call on each port, trusting only the test CA. */
async function callsWork(): Promise<void> {
  const r = await undiciFetch(`https://127.0.0.1:${dtx.port}/api/dtmsvr/newGid`, { dispatcher: new Agent({ connect: { ca: certs.ca } }) });
  expect(r.status).toBe(200);
  const client = new grpc.Client(`127.0.0.1:${dtx.grpcPort}`, grpc.credentials.createSsl(certs.ca));
  try {
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 30_000, (err) => (err ? reject(err) : resolve())));
  } finally {
    client.close();
  }
}

const both = () => Promise.all([servedFingerprint(dtx.port), servedFingerprint(dtx.grpcPort)]);

/** `dtx_tls_certificate_expiry_timestamp_seconds` as /api/metrics reports it. */
async function expiryMetric(): Promise<number> {
  const text = await (await undiciFetch(`https://127.0.0.1:${dtx.port}/api/metrics`, { dispatcher: new Agent({ connect: { ca: certs.ca } }) })).text();
  return Number(/^dtx_tls_certificate_expiry_timestamp_seconds\{setting="Tls"\} (\S+)$/m.exec(text)?.[1]);
}
const expiryOf = (pem: Buffer) => Date.parse(new X509Certificate(pem).validTo) / 1000;

describe('Tls reload', () => {
  it('SIGHUP serves the replaced certificate on the HTTP and gRPC ports; connections keep working', async () => {
    expect(await both()).toEqual([fingerprint(certs.serverCert), fingerprint(certs.serverCert)]);
    await callsWork();
    expect(await expiryMetric()).toBe(expiryOf(certs.serverCert));
    // the test certificates live 2 days: the start warns
    expect(dtx.logs.some((l) => l.includes('the TLS certificate expires within 14 days'))).toBe(true);
    writeFileSync(path.join(dir, 'tls.crt'), certs.peerCert);
    writeFileSync(path.join(dir, 'tls.key'), certs.peerKey);
    dtx.proc.kill('SIGHUP');
    await waitFor(both, (served) => served.every((f) => f === fingerprint(certs.peerCert)), 30_000, 'the new certificate on both ports');
    await callsWork();
    expect(dtx.logs.some((l) => l.includes('TLS certificate reloaded') && l.includes(fingerprint(certs.peerCert)))).toBe(true);
    expect(await expiryMetric()).toBe(expiryOf(certs.peerCert));
    expect(dtx.proc.exitCode).toBeNull(); // SIGHUP no longer ends the process
  });

  it('files that cannot be used (a key of another certificate) leave the served certificate as it was', async () => {
    const before = await both();
    writeFileSync(path.join(dir, 'tls.crt'), certs.serverCert);
    writeFileSync(path.join(dir, 'tls.key'), certs.clientKey);
    dtx.proc.kill('SIGHUP');
    await waitFor(async () => dtx.logs.some((l) => l.includes('TLS files not reloaded') && l.includes('Tls.CertFile')), Boolean, 30_000, 'the refused reload in the log');
    expect(await both()).toEqual(before);
    await callsWork();
  });
});
