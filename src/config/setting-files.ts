/**
 * Files that settings name (PEM certificates and keys, a password file), read at start; some are
 * followed while running (`filesStamp`, `LiveSetting`). A file that cannot be read, is not what the
 * setting needs, or a key that does not match its certificate is a ConfigError naming the key: the
 * start stops with exit 2 as for a bad value, instead of a handshake failing later with an OpenSSL
 * message that names no setting.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { createSecureContext } from 'node:tls';
import { invalidValue } from './config-error.js';

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * What changes when any of `files` is replaced or rewritten: inode, size and mtime (a Kubernetes
 * secret swaps a symlink: the inode); 'missing' for one that cannot be looked at. Files read at
 * start and again while dtx runs (TLS certificates, Kafka's) are read again when it changed.
 */
export function filesStamp(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/**
 * What a setting file may hold unless its reader says otherwise: a CA bundle of a few hundred
 * certificates (the system's, ~220 KB) fits four times over.
 */
export const MAX_SETTING_FILE_BYTES = 1024 * 1024;

/**
 * The bytes of the file `key` names, when it is a regular file of at most `maxBytes`. A wrong path
 * is refused before it is read: a FIFO would block the thread (these files are read again while
 * dtx runs), a device or a growing log would fill the memory. Opened non-blocking, looked at
 * through the open descriptor, so what is checked is what is read.
 */
export function readSettingFile(key: string, file: string, maxBytes = MAX_SETTING_FILE_BYTES): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw invalidValue(key, file, `cannot read it (${reason(err)})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error('it is not a regular file');
    if (stat.size > maxBytes) throw new Error(`it holds ${stat.size} bytes: this setting's file has at most ${maxBytes}`);
    const buffer = Buffer.alloc(stat.size);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, stat.size, 0));
  } catch (err) {
    throw invalidValue(key, file, reason(err));
  } finally {
    fs.closeSync(fd);
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

/**
 * A value read from setting files that follows them while dtx runs: Store.KafkaTls's PEM files,
 * Store.KafkaSasl.PasswordFile and, behind TlsReloader, the served and presented certificates.
 * `current` reads the files again when one changed (`filesStamp`: replaced, rewritten, or a
 * Kubernetes secret's symlink swapped), through `read`, which checks them as at start; what does
 * not pass yet (a certificate written before its key) keeps the previous value, with a warning once
 * per change, and is tried again at the next look. kafkajs looks at each new connection (its TLS
 * options) and each authentication (the password), so a renewed certificate or a rotated password
 * is used without a restart; open connections keep theirs.
 */
export class LiveSetting<T> {
  #stamp: string;
  #value: T;
  #refused = '';

  /** Reads the files now: a bad file at start is the caller's error (a config error, exit 2). */
  constructor(
    private readonly files: readonly string[],
    private readonly read: () => T,
    private readonly warn: (message: string) => void,
  ) {
    this.#stamp = filesStamp(files);
    this.#value = read();
  }

  get current(): T {
    const stamp = filesStamp(this.files);
    if (stamp !== this.#stamp) this.#readAt(stamp, this.#refused !== stamp);
    return this.#value;
  }

  /** Reads the files now, changed or not (SIGHUP); false when they do not pass, warned each time. */
  reread(): boolean {
    return this.#readAt(filesStamp(this.files), true);
  }

  /** A refused read keeps the value; `warn`: say so (once per change when looked at, each time when asked). */
  #readAt(stamp: string, warn: boolean): boolean {
    try {
      this.#value = this.read();
      this.#stamp = stamp;
      return true;
    } catch (err) {
      if (warn) this.warn(`${(err as Error).message}; the files read before stay in use until they pass`);
      this.#refused = stamp;
      return false;
    }
  }
}
