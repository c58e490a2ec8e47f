import { X509Certificate } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LiveSetting, readTlsFiles, type TlsFiles } from '../config/index.js';

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;
type CaListener = grpc.experimental.CaCertificateUpdateListener;

/** How often the files are looked at for a change (SIGHUP reloads at once). */
export const TLS_CHECK_INTERVAL_MS = 60_000;

/** A certificate expiring within this is warned about (at start and at every reload). */
export const TLS_EXPIRY_WARNING_MS = 14 * 86_400_000;

/** The settings whose PEM files dtx follows: served (`Tls`), presented to gRPC branches, between Kafka workers. */
export type TlsSettingName = 'Tls' | 'Invoker.GrpcTls' | 'InternalTls';

/** A setting's files; `caName`: the CA's key in the group (`ClientCaFile` for `Tls`). */
export interface TlsSettingFiles {
  readonly CaFile: string;
  readonly CertFile: string;
  readonly KeyFile: string;
}

/**
 * One TLS setting's PEM files, reloaded without a restart: a certificate renewed in place
 * (cert-manager, a Kubernetes secret, certbot) is used from the next connection on, when the files
 * change (looked at every TLS_CHECK_INTERVAL_MS) or on `reload()` (SIGHUP). The files are read and
 * checked as at start (readTlsFiles, through LiveSetting): a file half written, or a key that does
 * not match its certificate yet, keeps the ones in use, says why, and is tried again at the next
 * look. Connections already open keep what they were made with. It hands the files to HTTPS
 * servers (`follow`) and, as grpc-js's certificate provider, to gRPC server and channel credentials.
 * Whether a peer certificate is required is fixed at start; a CA's contents are reloaded.
 */
export class TlsReloader implements grpc.experimental.CertificateProvider {
  readonly #live: LiveSetting<TlsFiles>;
  #tls: TlsFiles;
  #expiresAt: number | undefined;
  readonly #https = new Set<HttpsServer>();
  readonly #identity = new Set<IdentityListener>();
  readonly #ca = new Set<CaListener>();
  readonly #timer: NodeJS.Timeout;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** when the expiry warning was last logged, by `#now` (-Infinity: never, whatever the clock): again once a day while it applies */
  #warnedAt = -Infinity;
  /** files `#serve` refused (warned about): the timer does not warn about them again */
  #refused: TlsFiles | undefined;

  /**
   * Reads the files now: throws a ConfigError naming the key of a bad one. `now`: the clock the
   * expiry warnings are judged by, epoch ms (Date.now; a simulated one in tests).
   */
  constructor(
    readonly setting: TlsSettingName,
    files: TlsSettingFiles,
    readonly requireClientCert: boolean,
    logger: Logger,
    options: { readonly caName?: string; readonly intervalMs?: number; readonly now?: () => number } = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#logger = logger.child({ component: 'tls', setting });
    const paths = [files.CertFile, files.KeyFile, files.CaFile].filter((f) => f !== '');
    this.#live = new LiveSetting(paths, () => readTlsFiles(setting, files, options.caName), (message) => this.#logger.warn(`TLS files not reloaded: ${message}`));
    this.#tls = this.#live.current;
    this.#expiresAt = this.#inspect('start');
    this.#timer = setInterval(() => this.#look(), options.intervalMs ?? TLS_CHECK_INTERVAL_MS).unref();
  }

  /** What is used now. */
  get tls(): TlsFiles {
    return this.#tls;
  }

  /** When the certificate in use expires, epoch ms; undefined without one (a CA only). */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }

  /** Serves every reload on `server` (its new connections). */
  follow(server: HttpsServer): void {
    this.#https.add(server);
  }

  /**
   * gRPC server credentials that follow every reload. grpc-js 1.14's
   * `createCertificateProviderServerCredentials` hands its first argument to the identity slot:
   * this object fills both slots, and the CA one only when peer certificates are required.
   */
  serverCredentials(): grpc.ServerCredentials {
    return grpc.experimental.createCertificateProviderServerCredentials(this, this.requireClientCert ? this : null, this.requireClientCert);
  }

  /** gRPC channel credentials that follow every reload: the CA (the system's without one), the certificate if any. */
  channelCredentials(): grpc.ChannelCredentials {
    return grpc.experimental.createCertificateProviderChannelCredentials(this, this.#tls.cert !== undefined ? this : null);
  }

  /** Reads the files again and uses them; false (the old ones stay) when they cannot be used. */
  reload(why: 'signal' | 'changed'): boolean {
    return this.#live.reread() && this.#serve(why, this.#live.current);
  }

  /** The timer's look: changed files are used; a certificate near its expiry is warned about again once a day. */
  #look(): void {
    this.#serve('changed', this.#live.current);
    const now = this.#now();
    if (this.#expiresAt !== undefined && this.#expiresAt - now < TLS_EXPIRY_WARNING_MS && now - this.#warnedAt >= 86_400_000) this.#inspect('still');
  }

  /** Uses `next` (files that passed readTlsFiles); false, the files in use kept, when they cannot be (logged once per change; again on SIGHUP). */
  #serve(why: 'signal' | 'changed', next: TlsFiles): boolean {
    if (next === this.#tls) return true;
    if (next === this.#refused && why === 'changed') return false; // the timer's next look at the same files
    const same = (['cert', 'key', 'ca'] as const).every((k) => next[k] === this.#tls[k] || (next[k] !== undefined && this.#tls[k]?.equals(next[k]) === true));
    if (same) {
      this.#tls = next;
      if (why === 'signal') this.#logger.info('TLS files unchanged: nothing reloaded');
      return true;
    }
    const { cert, key, ca } = next;
    let validTo: string | undefined;
    try {
      // everything that can fail, before anything is handed out: a timer's callback must not throw
      createSecureContext({ cert, key, ...(ca !== undefined ? { ca } : {}) });
      if (cert !== undefined) validTo = new X509Certificate(cert).validTo;
    } catch (err) {
      this.#refused = next;
      this.#logger.warn({ err: { message: (err as Error).message }, why }, 'TLS files not reloaded: the ones in use stay');
      return false;
    }
    // an expired renewal (a stale secret copied back) would fail every handshake: not while the certificate in use is still valid
    const now = this.#now();
    if (validTo !== undefined && Date.parse(validTo) <= now && this.#expiresAt !== undefined && this.#expiresAt > now) {
      this.#refused = next;
      this.#logger.warn({ why, validTo }, `TLS files not reloaded: the new ${this.setting}.CertFile expired at ${validTo}; the ones in use stay`);
      return false;
    }
    this.#tls = next;
    for (const server of this.#https) server.setSecureContext({ cert, key, ...(ca !== undefined ? { ca } : {}) });
    if (cert !== undefined && key !== undefined) for (const l of this.#identity) l({ certificate: cert, privateKey: key });
    for (const l of this.#ca) l(caUpdateOf(next));
    this.#expiresAt = this.#inspect(why);
    return true;
  }

  /** Logs the certificate in use (reloaded: at info; expiring within TLS_EXPIRY_WARNING_MS: a warning; expired: an error); its expiry, epoch ms. */
  #inspect(why: 'start' | 'signal' | 'changed' | 'still'): number | undefined {
    if (this.#tls.cert === undefined) {
      if (why !== 'start') this.#logger.info({ why }, 'TLS files reloaded');
      return undefined;
    }
    const x = new X509Certificate(this.#tls.cert);
    const expiresAt = Date.parse(x.validTo);
    const facts = { why, subject: x.subject, validTo: x.validTo, fingerprint256: x.fingerprint256 };
    if (why === 'signal' || why === 'changed') this.#logger.info(facts, 'TLS certificate reloaded');
    const now = this.#now();
    if (expiresAt - now < TLS_EXPIRY_WARNING_MS) {
      this.#warnedAt = now;
      if (expiresAt <= now) this.#logger.error(facts, `the TLS certificate has expired: peers refuse it; renew ${this.setting}.CertFile (dtx uses the new one without a restart)`);
      else this.#logger.warn(facts, `the TLS certificate expires within 14 days: renew ${this.setting}.CertFile (dtx uses the new one without a restart)`);
    }
    return expiresAt;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#https.clear();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.add(listener);
    // after grpc-js registers its watcher (it adds the provider's listeners first): a synchronous call would be lost
    const { cert, key } = this.#tls;
    if (cert !== undefined && key !== undefined) queueMicrotask(() => this.#identity.has(listener) && listener({ certificate: cert, privateKey: key }));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.delete(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#ca.add(listener);
    const update = caUpdateOf(this.#tls);
    queueMicrotask(() => this.#ca.has(listener) && listener(update));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#ca.delete(listener);
  }
}

/**
 * The CA update of `tls`. Without a CA file the update still comes (grpc-js's channel waits for
 * one) with no certificate in it: Node's `createSecureContext` then trusts Node's default roots,
 * `NODE_EXTRA_CA_CERTS` included (checked by hand with grpc-js 1.14.7). Unlike
 * `grpc.credentials.createSsl(null)`, `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` is not read.
 */
function caUpdateOf(tls: TlsFiles): grpc.experimental.CaCertificateUpdate {
  return { caCertificate: tls.ca as Buffer };
}
