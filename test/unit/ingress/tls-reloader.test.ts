import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/index.js';
import { TlsReloader } from '../../../src/ingress/tls-reloader.js';
import { makeTestCerts, type TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});

const open: TlsReloader[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

function reloaderOn(files: { cert: Buffer; key: Buffer; ca?: Buffer }, intervalMs: number): { reloader: TlsReloader; write(name: 'tls.crt' | 'tls.key', pem: Buffer): void } {
  const dir = tempDir('dtx-tls-reloader-');
  const write = (name: string, pem: Buffer) => writeFileSync(path.join(dir, name), pem);
  write('tls.crt', files.cert);
  write('tls.key', files.key);
  if (files.ca) write('ca.crt', files.ca);
  const env = { TLS_CERT_FILE: path.join(dir, 'tls.crt'), TLS_KEY_FILE: path.join(dir, 'tls.key'), ...(files.ca ? { TLS_CLIENT_CA_FILE: path.join(dir, 'ca.crt') } : {}) };
  const reloader = TlsReloader.of(resolveConfig({ env }).config, pino({ level: 'silent' }), intervalMs)!;
  open.push(reloader);
  return { reloader, write };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (const deadline = Date.now() + 10_000; !cond(); ) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('TlsReloader', () => {
  it('none without Tls.CertFile', () => {
    expect(TlsReloader.of(resolveConfig({ env: {} }).config, pino({ level: 'silent' }))).toBeUndefined();
  });

  it('hands a listener the files at once (after registering), and every change it finds on its own', async () => {
    const { reloader, write } = reloaderOn({ cert: certs.serverCert, key: certs.serverKey }, 20);
    const seen: Buffer[] = [];
    reloader.addIdentityCertificateListener((u) => seen.push(u!.certificate));
    expect(seen).toEqual([]); // not synchronously: grpc-js registers its watcher after the listener
    await until(() => seen.length === 1);
    expect(seen[0]!.equals(certs.serverCert)).toBe(true);
    write('tls.crt', certs.peerCert);
    write('tls.key', certs.peerKey);
    await until(() => seen.length === 2);
    expect(seen[1]!.equals(certs.peerCert)).toBe(true);
    expect(reloader.tls.cert.equals(certs.peerCert)).toBe(true);
    expect(reloader.expiresAt).toBe(Date.parse(new X509Certificate(certs.peerCert).validTo));
  });

  it('files that do not belong together keep the old ones, and are tried again until they do', async () => {
    const { reloader, write } = reloaderOn({ cert: certs.serverCert, key: certs.serverKey }, 3_600_000);
    write('tls.crt', certs.peerCert); // its key not written yet
    expect(reloader.reload('changed')).toBe(false);
    expect(reloader.tls.cert.equals(certs.serverCert)).toBe(true);
    write('tls.key', certs.peerKey);
    expect(reloader.reload('signal')).toBe(true);
    expect(reloader.tls.cert.equals(certs.peerCert)).toBe(true);
  });

  it('with a client CA: the CA goes to CA listeners, and client certificates stay required', async () => {
    const { reloader } = reloaderOn({ cert: certs.serverCert, key: certs.serverKey, ca: certs.ca }, 3_600_000);
    expect(reloader.tls.requireClientCert).toBe(true);
    const cas: Buffer[] = [];
    reloader.addCaCertificateListener((u) => cas.push(u!.caCertificate));
    await until(() => cas.length === 1);
    expect(cas[0]!.equals(certs.ca)).toBe(true);
    expect(reloader.reload('signal')).toBe(true);
    expect(cas).toHaveLength(2);
  });
});
