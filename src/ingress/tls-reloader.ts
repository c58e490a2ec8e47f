import { X509Certificate } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { filesStamp, readTlsFiles, type ResolvedConfig } from '../config/index.js';
import type { HttpTls } from './http/http-server.js';

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;
type CaListener = grpc.experimental.CaCertificateUpdateListener;

/** How often the `Tls.*` files are looked at for a change (SIGHUP reloads at once). */
export const TLS_CHECK_INTERVAL_MS = 60_000;

/** A served certificate expiring within this is warned about (at start and at every reload). */
export const TLS_EXPIRY_WARNING_MS = 14 * 86_400_000;

/**
 * `Tls.*` of the HTTP and gRPC ingress, reloaded without a restart: a certificate renewed in place
 * (cert-manager, a Kubernetes secret, certbot) is served from the next connection on, when the
 * files change (looked at every TLS_CHECK_INTERVAL_MS) or on `reload()` (SIGHUP). The files are
 * read and checked as at start (readTlsFiles): a file half written, or a key that does not match
 * its certificate yet, keeps the one in use, says why, and is tried again at the next look.
 * Connections already open keep the certificate they were made with. Whether a client certificate
 * is required is fixed at start (`Tls.ClientCaFile` set or not); its CA's contents are reloaded.
 */
export class TlsReloader implements grpc.experimental.CertificateProvider {
  #tls: HttpTls;
  #stamp: string;
  #expiresAt: number;
  readonly #https = new Set<HttpsServer>();
  readonly #identity = new Set<IdentityListener>();
  readonly #ca = new Set<CaListener>();
  readonly #timer: NodeJS.Timeout;

  private constructor(
    private readonly files: readonly string[],
    private readonly read: () => HttpTls,
    private readonly logger: Logger,
    intervalMs: number,
  ) {
    this.#tls = read();
    this.#stamp = filesStamp(this.files);
    this.#expiresAt = this.#inspect('start');
    this.#timer = setInterval(() => this.#check(), intervalMs).unref();
  }

  /** Undefined without `Tls.CertFile` (plain HTTP and gRPC). Throws a ConfigError naming the key of a bad file. */
  static of(config: ResolvedConfig, logger: Logger, intervalMs = TLS_CHECK_INTERVAL_MS): TlsReloader | undefined {
    const t = config.Tls;
    if (t.CertFile === '') return undefined;
    const files = { CaFile: t.ClientCaFile, CertFile: t.CertFile, KeyFile: t.KeyFile };
    const read = (): HttpTls => {
      const { cert, key, ca } = readTlsFiles('Tls', files, 'ClientCaFile');
      return { cert: cert!, key: key!, ...(ca !== undefined ? { ca } : {}), requireClientCert: ca !== undefined };
    };
    return new TlsReloader([t.CertFile, t.KeyFile, t.ClientCaFile].filter((f) => f !== ''), read, logger.child({ component: 'tls' }), intervalMs);
  }

  /** What is served now. */
  get tls(): HttpTls {
    return this.#tls;
  }

  /** When the served certificate expires, epoch ms (`dtx_tls_certificate_expiry_timestamp_seconds`). */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** Serves every reload on `server` (its new connections). */
  follow(server: HttpsServer): void {
    this.#https.add(server);
  }

  /**
   * gRPC server credentials that follow every reload. grpc-js 1.14's
   * `createCertificateProviderServerCredentials` hands its first argument to the identity slot:
   * this object fills both slots, and the CA one only when a client CA is configured.
   */
  grpcCredentials(): grpc.ServerCredentials {
    return grpc.experimental.createCertificateProviderServerCredentials(this, this.#tls.requireClientCert ? this : null, this.#tls.requireClientCert);
  }

  /** Reads the files again and serves them; false (the old ones stay) when they cannot be used. */
  reload(why: 'signal' | 'changed'): boolean {
    const stamp = filesStamp(this.files);
    let next: HttpTls;
    try {
      next = this.read();
    } catch (err) {
      this.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, why }, 'TLS files not reloaded: the certificate in use stays');
      return false;
    }
    this.#tls = next;
    this.#stamp = stamp;
    const { cert, key, ca } = this.#tls;
    for (const server of this.#https) server.setSecureContext({ cert, key, ...(ca !== undefined ? { ca } : {}) });
    for (const l of this.#identity) l({ certificate: cert, privateKey: key });
    if (ca !== undefined) for (const l of this.#ca) l({ caCertificate: ca });
    this.#expiresAt = this.#inspect(why);
    return true;
  }

  /** Logs the served certificate (reloaded: at info; expiring within TLS_EXPIRY_WARNING_MS: a warning); its expiry, epoch ms. */
  #inspect(why: 'start' | 'signal' | 'changed'): number {
    const x = new X509Certificate(this.#tls.cert);
    const expiresAt = Date.parse(x.validTo);
    const facts = { why, subject: x.subject, validTo: x.validTo, fingerprint256: x.fingerprint256 };
    if (why !== 'start') this.logger.info(facts, 'TLS certificate reloaded');
    if (expiresAt - Date.now() < TLS_EXPIRY_WARNING_MS) this.logger.warn(facts, 'the TLS certificate expires within 14 days: renew Tls.CertFile (dtx serves the new one without a restart)');
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
    queueMicrotask(() => this.#identity.has(listener) && listener({ certificate: cert, privateKey: key }));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.delete(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#ca.add(listener);
    const { ca } = this.#tls;
    if (ca !== undefined) queueMicrotask(() => this.#ca.has(listener) && listener({ caCertificate: ca }));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#ca.delete(listener);
  }

  #check(): void {
    if (filesStamp(this.files) !== this.#stamp) this.reload('changed');
  }
}
