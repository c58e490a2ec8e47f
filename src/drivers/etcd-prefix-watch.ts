/**
 * A live view of the keys under an etcd prefix: one range read, then a watch from the next
 * revision, so no change between the two is missed. This is how go-zero's subscriber and
 * kratos' etcd watcher follow a service's instances; etcd3 resumes the watch after a reconnect.
 */
import type { Etcd3, Watcher } from 'etcd3';

export interface PrefixWatchHandlers {
  /** Called after the initial read and after every put or delete, with all current entries. */
  onChange(entries: ReadonlyMap<string, string>): void;
  /** The initial read or the watch failed; the view is stale until a new watch starts. */
  onError(err: Error): void;
}

export class EtcdPrefixWatch {
  private readonly entries = new Map<string, string>();
  private watcher: Watcher | undefined;
  private closed = false;

  private constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly handlers: PrefixWatchHandlers,
  ) {}

  /** Starts reading and watching `prefix`; results and failures arrive through `handlers`. */
  static start(client: Etcd3, prefix: string, handlers: PrefixWatchHandlers): EtcdPrefixWatch {
    const w = new EtcdPrefixWatch(client, prefix, handlers);
    w.run().catch((err: unknown) => {
      if (!w.closed) handlers.onError(err instanceof Error ? err : new Error(String(err)));
    });
    return w;
  }

  private async run(): Promise<void> {
    const res = await this.client.getAll().prefix(this.prefix).exec();
    if (this.closed) return;
    for (const kv of res.kvs) this.entries.set(kv.key.toString(), kv.value.toString());
    this.handlers.onChange(this.entries);
    const next = (BigInt(res.header.revision) + 1n).toString();
    const watcher = await this.client.watch().prefix(this.prefix).startRevision(next).create();
    if (this.closed) {
      await watcher.cancel();
      return;
    }
    this.watcher = watcher;
    watcher.on('put', (kv) => {
      this.entries.set(kv.key.toString(), kv.value.toString());
      this.handlers.onChange(this.entries);
    });
    watcher.on('delete', (kv) => {
      this.entries.delete(kv.key.toString());
      this.handlers.onChange(this.entries);
    });
    watcher.on('error', (err: Error) => {
      if (!this.closed) this.handlers.onError(err);
    });
  }

  /** Stops watching; no handler is called afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.watcher;
    this.watcher = undefined;
    if (w !== undefined) await w.cancel().catch(() => undefined);
  }
}
