import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/index.js';
import type { HttpTls } from '../ingress/http/http-server.js';
import { TLS_CHECK_INTERVAL_MS, TlsReloader } from './tls-reloader.js';

/**
 * dtx's TLS settings whose PEM files are followed while it runs, each read and checked at start
 * (a ConfigError naming the key of a bad file: build this before opening anything):
 * - `served`: `Tls.*`, the certificate of the HTTP and gRPC ports (client certificates required
 *   when `Tls.ClientCaFile` is set); undefined without `Tls.CertFile`.
 * - `branches`: `Invoker.GrpcTls`, the CA trusted and the certificate presented on gRPC branch
 *   calls; undefined when neither a CA nor a certificate is set (plaintext, as dtm).
 * - `internal`: `InternalTls`, mutual TLS between Kafka workers; only with `Store.Driver: kafka`.
 * `reload()` (SIGHUP) reads all of them again at once; each also looks at its files every
 * TLS_CHECK_INTERVAL_MS.
 */
export class TlsSettings {
  private constructor(
    readonly served: TlsReloader | undefined,
    readonly branches: TlsReloader | undefined,
    readonly internal: TlsReloader | undefined,
  ) {}

  static of(config: ResolvedConfig, logger: Logger, intervalMs = TLS_CHECK_INTERVAL_MS): TlsSettings {
    const open: TlsReloader[] = [];
    const made = (make: () => TlsReloader): TlsReloader => {
      const reloader = make();
      open.push(reloader);
      return reloader;
    };
    try {
      const t = config.Tls;
      const served = t.CertFile === '' ? undefined
        : made(() => new TlsReloader('Tls', { CaFile: t.ClientCaFile, CertFile: t.CertFile, KeyFile: t.KeyFile }, t.ClientCaFile !== '', logger, { caName: 'ClientCaFile', intervalMs }));
      const g = config.Invoker.GrpcTls;
      const branches = g.CaFile === '' && g.CertFile === '' ? undefined : made(() => new TlsReloader('Invoker.GrpcTls', g, false, logger, { intervalMs }));
      const i = config.InternalTls;
      const internal = config.Store.Driver !== 'kafka' || i.CertFile === '' ? undefined : made(() => new TlsReloader('InternalTls', i, true, logger, { intervalMs }));
      return new TlsSettings(served, branches, internal);
    } catch (err) {
      for (const r of open) r.close(); // a later setting's bad file: no timer left behind
      throw err;
    }
  }

  /** Whether any TLS setting is configured. */
  get any(): boolean {
    return this.#all().length > 0;
  }

  /** Each setting's certificate expiry, epoch seconds (`dtx_tls_certificate_expiry_timestamp_seconds{setting}`). */
  expiries(): Array<{ readonly setting: string; readonly seconds: number }> {
    return this.#all().flatMap((r) => (r.expiresAt === undefined ? [] : [{ setting: r.setting, seconds: r.expiresAt / 1000 }]));
  }

  /** `served` as the HTTPS listener takes it; undefined: plain HTTP. */
  httpTls(): HttpTls | undefined {
    const s = this.served;
    return s && { cert: s.tls.cert!, key: s.tls.key!, ...(s.tls.ca !== undefined ? { ca: s.tls.ca } : {}), requireClientCert: s.requireClientCert };
  }

  /** SIGHUP: every setting's files read again; false when one could not be used (it logged why), undefined without any. */
  reload(): boolean | undefined {
    return this.any ? this.#all().map((r) => r.reload('signal')).every(Boolean) : undefined;
  }

  close(): void {
    for (const r of this.#all()) r.close();
  }

  #all(): TlsReloader[] {
    return [this.served, this.branches, this.internal].filter((r): r is TlsReloader => r !== undefined);
  }
}
