import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/config/index.js';
import type { TlsReloader } from '../../../src/tls/tls-reloader.js';
import { TlsSettings } from '../../../src/tls/tls-settings.js';
import { makeTestCerts, type TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});
const silent = pino({ level: 'silent' });

function reloaderOn(files: { cert: Buffer; key: Buffer; ca?: Buffer }, intervalMs: number): { reloader: TlsReloader; write(name: 'tls.crt' | 'tls.key' | 'ca.crt', pem: Buffer): void } {
  const dir = tempDir('dtx-tls-reloader-');
  const write = (name: string, pem: Buffer) => writeFileSync(path.join(dir, name), pem);
  write('tls.crt', files.cert);
  write('tls.key', files.key);
  if (files.ca) write('ca.crt', files.ca);
  const env = { TLS_CERT_FILE: path.join(dir, 'tls.crt'), TLS_KEY_FILE: path.join(dir, 'tls.key'), ...(files.ca ? { TLS_CLIENT_CA_FILE: path.join(dir, 'ca.crt') } : {}) };
  const settings = TlsSettings.of(resolveConfig({ env }).config, silent, intervalMs);
  open.push(settings);
  const reloader = settings.served!;
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
    const settings = TlsSettings.of(resolveConfig({ env: {} }).config, silent);
    expect([settings.served, settings.branches, settings.internal, settings.any, settings.reload()]).toEqual([undefined, undefined, undefined, false, undefined]);
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
    expect(reloader.tls.cert!.equals(certs.peerCert)).toBe(true);
    expect(reloader.expiresAt).toBe(Date.parse(new X509Certificate(certs.peerCert).validTo));
  });

  it('files that do not belong together keep the old ones, and are tried again until they do', async () => {
    const { reloader, write } = reloaderOn({ cert: certs.serverCert, key: certs.serverKey }, 3_600_000);
    write('tls.crt', certs.peerCert); // its key not written yet
    expect(reloader.reload('changed')).toBe(false);
    expect(reloader.tls.cert!.equals(certs.serverCert)).toBe(true);
    write('tls.key', certs.peerKey);
    expect(reloader.reload('signal')).toBe(true);
    expect(reloader.tls.cert!.equals(certs.peerCert)).toBe(true);
  });

  it('with a client CA: the CA goes to CA listeners, and client certificates stay required; files read again unchanged change nothing', async () => {
    const { reloader, write } = reloaderOn({ cert: certs.serverCert, key: certs.serverKey, ca: certs.ca }, 3_600_000);
    expect(reloader.requireClientCert).toBe(true);
    const cas: Buffer[] = [];
    const identities: Buffer[] = [];
    reloader.addCaCertificateListener((u) => cas.push(u!.caCertificate));
    reloader.addIdentityCertificateListener((u) => identities.push(u!.certificate));
    await until(() => cas.length === 1 && identities.length === 1);
    expect(cas[0]!.equals(certs.ca)).toBe(true);
    expect(reloader.reload('signal')).toBe(true);
    expect([cas.length, identities.length]).toEqual([1, 1]); // SIGHUP with the same files: no new contexts
    write('ca.crt', certs.otherCa);
    expect(reloader.reload('signal')).toBe(true);
    expect(cas).toHaveLength(2);
    expect(cas[1]!.equals(certs.otherCa)).toBe(true);
  });
});

describe('TlsSettings', () => {
  function filesIn(pems: Record<string, Buffer>): (name: string) => string {
    const dir = tempDir('dtx-tls-settings-');
    for (const [name, pem] of Object.entries(pems)) writeFileSync(path.join(dir, name), pem);
    return (name) => path.join(dir, name);
  }

  it('Invoker.GrpcTls with a CA only: no certificate, no expiry, the CA to CA listeners and follows it', async () => {
    const file = filesIn({ 'ca.crt': certs.ca });
    const settings = TlsSettings.of(resolveConfig({ env: { INVOKER_GRPC_TLS_CA_FILE: file('ca.crt') } }).config, silent, 20);
    open.push(settings);
    const branches = settings.branches!;
    expect([branches.tls.cert, branches.expiresAt, settings.expiries()]).toEqual([undefined, undefined, []]);
    expect(branches.channelCredentials()._isSecure()).toBe(true);
    const cas: Buffer[] = [];
    branches.addCaCertificateListener((u) => cas.push(u!.caCertificate));
    await until(() => cas.length === 1);
    writeFileSync(file('ca.crt'), certs.otherCa);
    await until(() => cas.length === 2);
    expect(cas[1]!.equals(certs.otherCa)).toBe(true);
  });

  it('Invoker.GrpcTls with a certificate and InternalTls (Kafka only): the expiry of each, by setting', () => {
    const file = filesIn({ 'ca.crt': certs.ca, 'client.crt': certs.clientCert, 'client.key': certs.clientKey, 'peer.crt': certs.peerCert, 'peer.key': certs.peerKey });
    const env = {
      INVOKER_GRPC_TLS_CA_FILE: file('ca.crt'), INVOKER_GRPC_TLS_CERT_FILE: file('client.crt'), INVOKER_GRPC_TLS_KEY_FILE: file('client.key'),
      INTERNAL_TLS_CA_FILE: file('ca.crt'), INTERNAL_TLS_CERT_FILE: file('peer.crt'), INTERNAL_TLS_KEY_FILE: file('peer.key'),
    };
    const embedded = TlsSettings.of(resolveConfig({ env }).config, silent);
    open.push(embedded);
    expect(embedded.internal).toBeUndefined(); // the embedded log has no internal port
    const kafka = TlsSettings.of(resolveConfig({ env: { ...env, STORE_DRIVER: 'kafka' } }).config, silent);
    open.push(kafka);
    expect(kafka.internal!.requireClientCert).toBe(true);
    const expiry = (pem: Buffer) => Date.parse(new X509Certificate(pem).validTo) / 1000;
    expect(kafka.expiries()).toEqual([{ setting: 'Invoker.GrpcTls', seconds: expiry(certs.clientCert) }, { setting: 'InternalTls', seconds: expiry(certs.peerCert) }]);
    expect(kafka.reload()).toBe(true);
  });

  it('a file that cannot be read is a ConfigError naming its key', () => {
    const file = filesIn({ 'client.crt': certs.clientCert });
    const env = { INVOKER_GRPC_TLS_CERT_FILE: file('client.crt'), INVOKER_GRPC_TLS_KEY_FILE: file('missing.key') };
    let error: unknown;
    try {
      TlsSettings.of(resolveConfig({ env }).config, silent);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('Invoker.GrpcTls.KeyFile');
  });
});
