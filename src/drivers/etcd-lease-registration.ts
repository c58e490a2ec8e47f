/**
 * Keeps one key alive in etcd under a lease, as go-zero's `discov.Publisher` and kratos' etcd
 * registrar do: grant a lease with a TTL, put the key with it, keep the lease alive; when the
 * lease is lost (etcd unreachable for longer than the TTL, or revoked by someone else) grant a
 * new one and put the key again, retrying every second; on close, revoke the lease so the key
 * disappears at once instead of at TTL expiry.
 */
import type { Etcd3, Lease } from 'etcd3';
import { DriverError } from './driver.js';

export interface LeaseRegistrationOptions {
  readonly client: Etcd3;
  readonly ttlSeconds: number;
  /** The key to put, given the lease id in decimal (go-zero's key ends with it). */
  keyOf(leaseId: string): string;
  readonly value: string;
  /** Names the registration in errors, e.g. `dtmservice at etcd 127.0.0.1:2379`. */
  readonly describe: string;
  /** Called when a re-registration after a lost lease fails (it is retried). */
  onRetryFailed?(err: unknown): void;
}

/** Bound on the first registration, so an unreachable etcd fails start-up instead of hanging it. */
const REGISTER_TIMEOUT_MS = 10_000;
const RETRY_MS = 1_000;

export class EtcdLeaseRegistration {
  private lease: Lease | undefined;
  private currentKey = '';
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: LeaseRegistrationOptions) {}

  /** Registers and keeps alive; rejects with a `DriverError` naming the registration on failure. */
  static async start(opts: LeaseRegistrationOptions): Promise<EtcdLeaseRegistration> {
    const r = new EtcdLeaseRegistration(opts);
    try {
      await withTimeout(r.register(), REGISTER_TIMEOUT_MS, `timed out after ${REGISTER_TIMEOUT_MS / 1000} s`);
    } catch (err) {
      await r.close();
      throw new DriverError(`cannot register ${opts.describe}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return r;
  }

  /** The key currently registered ('' while none is). */
  get key(): string {
    return this.currentKey;
  }

  private async register(): Promise<void> {
    const lease = this.opts.client.lease(this.opts.ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', () => {
      if (this.lease === lease) this.scheduleRetry();
    });
    const id = await lease.grant();
    const key = this.opts.keyOf(id);
    await lease.put(key).value(this.opts.value).exec();
    if (this.closed) {
      await lease.revoke().catch(() => undefined);
      return;
    }
    this.currentKey = key;
  }

  private scheduleRetry(): void {
    this.currentKey = '';
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.register().catch((err: unknown) => {
        this.opts.onRetryFailed?.(err);
        this.scheduleRetry();
      });
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** Revokes the lease (its key disappears) and stops retrying. Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const lease = this.lease;
    this.lease = undefined;
    this.currentKey = '';
    if (lease === undefined) return;
    await withTimeout(lease.revoke(), 3_000, 'revoke timed out').catch(() => lease.release());
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
