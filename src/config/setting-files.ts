/**
 * Files that settings name (PEM certificates and keys, a password file), read once at start. A file
 * that cannot be read, is not what the setting needs, or a key that does not match its certificate
 * is a ConfigError naming the key: the start stops with exit 2 as for a bad value, instead of a
 * handshake failing later with an OpenSSL message that names no setting.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { invalidValue } from './config-error.js';

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The bytes of the file `key` names. */
export function readSettingFile(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw invalidValue(key, file, `cannot read it (${reason(err)})`);
  }
}

/** PEM contents for Node's TLS options; absent where the setting is empty. */
export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * `<group>.CaFile` (named `caName` in the group), `CertFile` and `KeyFile` (empty: left out), read
 * and checked: the CA file must hold PEM certificates Node can parse, and the certificate and key
 * must be PEM and belong together.
 */
export function readTlsFiles(group: string, files: { readonly CaFile: string; readonly CertFile: string; readonly KeyFile: string }, caName = 'CaFile'): TlsFiles {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  if (files.CaFile !== '') {
    const key = `${group}.${caName}`;
    const ca = readSettingFile(key, files.CaFile);
    const blocks = ca.toString('latin1').match(PEM_CERTIFICATE) ?? [];
    try {
      if (blocks.length === 0) throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
      for (const b of blocks) new X509Certificate(b);
    } catch (err) {
      throw invalidValue(key, files.CaFile, reason(err));
    }
    out.ca = ca;
  }
  if (files.CertFile !== '') {
    out.cert = readSettingFile(`${group}.CertFile`, files.CertFile);
    out.key = readSettingFile(`${group}.KeyFile`, files.KeyFile);
    try {
      createSecureContext({ cert: out.cert, key: out.key });
    } catch (err) {
      throw invalidValue(`${group}.CertFile`, files.CertFile, `with ${group}.KeyFile=${JSON.stringify(files.KeyFile)}: ${reason(err)}`);
    }
  }
  return out;
}
