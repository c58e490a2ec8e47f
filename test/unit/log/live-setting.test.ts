import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveSetting, resolveConfig } from '../../../src/config/index.js';
import { kafkaSettingsOf } from '../../../src/log/kafka/kafka-settings.js';
import { makeTestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Store.KafkaTls's files and Store.KafkaSasl.PasswordFile followed while dtx runs: a renewed
 * client certificate is what the next connection kafkajs opens presents (kafkajs's own socket
 * factory, to a real TLS server that asks for it), a rotated password what the next
 * authentication sends; files that do not pass yet keep the previous ones.
 */
const dir = tempDir('dtx-live-setting-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certs = makeTestCerts();
const require = createRequire(import.meta.url);
const socketFactory = (require('kafkajs/src/network/socketFactory.js') as () => (o: { host: string; port: number; ssl: object; onConnect: () => void }) => TLSSocket)();

/** Replaces `file` the way a secret mount does: a new file renamed over it. */
function replace(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.new`, content);
  renameSync(`${file}.new`, file);
}

describe('LiveSetting', () => {
  it('reads its files again when one changed; what does not pass keeps the previous value, warned once', () => {
    const file = join(dir, 'value');
    writeFileSync(file, 'one');
    const warnings: string[] = [];
    const live = new LiveSetting([file], () => {
      const text = readFileSync(file, 'utf8');
      if (text === 'bad') throw new Error('not a value');
      return text;
    }, (m) => warnings.push(m));
    expect(live.current).toBe('one');
    replace(file, 'two');
    expect(live.current).toBe('two');
    replace(file, 'bad');
    expect([live.current, live.current]).toEqual(['two', 'two']);
    expect(warnings).toEqual(['not a value; the files read before stay in use until they pass']);
    replace(file, 'three');
    expect(live.current).toBe('three');
  });
});

describe('Kafka settings whose files change while running', () => {
  it('the next TLS connection presents the renewed client certificate', async () => {
    const [ca, cert, key] = ['ca.pem', 'client.pem', 'client.key'].map((f) => join(dir, f));
    writeFileSync(ca!, certs.ca);
    writeFileSync(cert!, certs.clientCert);
    writeFileSync(key!, certs.clientKey);
    const { config } = resolveConfig({ env: { STORE_DRIVER: 'kafka', STORE_KAFKA_TLS_ENABLE: 'true', STORE_KAFKA_TLS_CA_FILE: ca!, STORE_KAFKA_TLS_CERT_FILE: cert!, STORE_KAFKA_TLS_KEY_FILE: key! } });
    const ssl = kafkaSettingsOf(config, 'w').tls!;
    const seen: string[] = [];
    const server = createServer({ cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requestCert: true, rejectUnauthorized: true }, (s) => {
      seen.push(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connect = () =>
      new Promise<void>((resolve, reject) => {
        const socket = socketFactory({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ssl, onConnect: () => undefined });
        socket.on('error', reject).on('close', () => resolve()).resume();
      });
    const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;
    try {
      await connect();
      replace(cert!, certs.peerCert); // a certificate before its key: not used yet
      await connect();
      replace(key!, certs.peerKey);
      await connect();
    } finally {
      server.close();
    }
    expect(seen).toEqual([fingerprint(certs.clientCert), fingerprint(certs.clientCert), fingerprint(certs.peerCert)]);
  });

  it('the next authentication sends the rotated password, also through the object kafkajs gets', () => {
    const secret = join(dir, 'kafka-password');
    writeFileSync(secret, 'first-password\n');
    const { config } = resolveConfig({ env: { STORE_DRIVER: 'kafka', STORE_KAFKA_SASL_MECHANISM: 'scram-sha-512', STORE_KAFKA_SASL_USERNAME: 'dtx', STORE_KAFKA_SASL_PASSWORD_FILE: secret } });
    const sasl = kafkaSettingsOf(config, 'w').sasl as { password: string };
    const kafkajsView = Object.create(sasl) as { password: string };
    expect(kafkajsView.password).toBe('first-password');
    replace(secret, 'second-password\n');
    expect([sasl.password, kafkajsView.password]).toEqual(['second-password', 'second-password']);
    replace(secret, '\n'); // an empty first line: refused, the second stays
    expect(kafkajsView.password).toBe('second-password');
  });
});
