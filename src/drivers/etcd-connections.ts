/**
 * etcd clients shared by one driver: one `Etcd3` per cluster (set of hosts), created on first
 * use and closed together. Built on `etcd3` (npm), the one maintained etcd v3 client for Node
 * (docs/drivers.md says why).
 */
import { createRequire } from 'node:module';
import type { Etcd3 } from 'etcd3';
import { DriverError } from './driver.js';

/** An etcd user, as go-zero's `WithPubEtcdAccount` / `EtcdConf.User/Pass`. */
export interface EtcdAccount {
  readonly username: string;
  readonly password: string;
}

/** go-zero dials etcd with a 5 s timeout (core/discov/internal/vars.go). */
const DIAL_TIMEOUT_MS = 5_000;

/**
 * Splits the authority of an `etcd://h1:2379,h2:2379/...` target into hosts (go-zero splits on
 * ','). Throws naming `what` when there is no host or a host is not `host:port`.
 */
export function etcdHostsOf(authority: string, what: string): string[] {
  const hosts = authority.split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (hosts.length === 0) throw new DriverError(`no etcd host in '${what}': expected etcd://host:port[,host:port]/key`);
  for (const h of hosts) {
    if (!/^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(h)) throw new DriverError(`etcd host '${h}' in '${what}' is not host:port`);
  }
  return hosts;
}

export class EtcdConnections {
  private readonly clients = new Map<string, Etcd3>();
  private readonly accounts = new Map<string, EtcdAccount>();

  /**
   * Remembers the account for a cluster; later clients for it authenticate (go-zero registers
   * accounts per cluster the same way, for publishing and subscribing alike).
   */
  setAccount(hosts: readonly string[], account: EtcdAccount): void {
    const key = clusterKey(hosts);
    this.accounts.set(key, account);
    const old = this.clients.get(key);
    if (old !== undefined) {
      this.clients.delete(key);
      old.close();
    }
  }

  /** The client for a cluster, created on first use (connections are lazy in etcd3). */
  client(hosts: readonly string[]): Etcd3 {
    const key = clusterKey(hosts);
    let client = this.clients.get(key);
    if (client === undefined) {
      const auth = this.accounts.get(key);
      client = new (loadEtcd3())({
        // `dns:///` keeps grpc-js from reading `etcd:2379` as a target of our own `etcd` scheme.
        hosts: hosts.map((h) => `dns:///${h}`),
        dialTimeout: DIAL_TIMEOUT_MS,
        ...(auth === undefined ? {} : { auth: { username: auth.username, password: auth.password } }),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Closes every client; later `client()` calls open new ones. */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

function clusterKey(hosts: readonly string[]): string {
  return [...hosts].sort().join(',');
}

let etcd3: typeof Etcd3 | undefined;

/**
 * etcd3 (with its own grpc-js and protos, ~23 MiB of RSS) is loaded when a driver first needs an
 * etcd client, not by every dtx that never selects an etcd driver.
 */
function loadEtcd3(): typeof Etcd3 {
  etcd3 ??= (createRequire(import.meta.url)('etcd3') as { Etcd3: typeof Etcd3 }).Etcd3;
  return etcd3;
}
