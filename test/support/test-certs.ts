/**
 * Throwaway TLS material for mTLS tests, made at test time with the `openssl` CLI in a temp
 * folder (never committed): a CA, a server certificate for 127.0.0.1 / localhost, a client
 * certificate and a peer certificate (both uses, for 127.0.0.1: a Kafka worker's on its internal
 * port), all signed by the CA, plus a second CA nobody trusts and a peer certificate it signed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp-dir.js';

export interface TestCerts {
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** server and client use, for 127.0.0.1 / localhost */
  readonly peerCert: Buffer;
  readonly peerKey: Buffer;
  /** a peer certificate `otherCa` signed */
  readonly strangerCert: Buffer;
  readonly strangerKey: Buffer;
  /** A CA that signed nothing here: trusting only it must fail the handshake. */
  readonly otherCa: Buffer;
  /** like the server certificate, valid one day instead of two: it expires first */
  readonly shortCert: Buffer;
  readonly shortKey: Buffer;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the mTLS tests need the openssl CLI: apt-get install -y openssl');
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function makeLeaf(dir: string, name: string, extensions: string, ca = 'ca', days = 2): void {
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=dtx-test-${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', String(days), '-extfile', `${name}.ext`]);
}

export function makeTestCerts(): TestCerts {
  const dir = tempDir('dtx-certs-');
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    const server = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
    makeLeaf(dir, 'server', server);
    makeLeaf(dir, 'short', server, 'ca', 1);
    makeLeaf(dir, 'client', 'extendedKeyUsage=clientAuth\n');
    const peer = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';
    makeLeaf(dir, 'peer', peer);
    makeLeaf(dir, 'stranger', peer, 'other-ca');
    const read = (f: string): Buffer => readFileSync(path.join(dir, f));
    return {
      ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'),
      clientCert: read('client.crt'), clientKey: read('client.key'), otherCa: read('other-ca.crt'),
      peerCert: read('peer.crt'), peerKey: read('peer.key'), strangerCert: read('stranger.crt'), strangerKey: read('stranger.key'),
      shortCert: read('short.crt'), shortKey: read('short.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
