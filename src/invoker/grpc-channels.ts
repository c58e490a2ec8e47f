/**
 * The gRPC invoker's channel cache: one grpc.Client (one channel, with its own connections and
 * load balancing) per server target, as dtm caches one ClientConn per target (spec §6.4). A
 * channel nobody used for `idleCloseMs` is closed and forgotten, so targets that come and go
 * (pod addresses, one-off test servers) do not pile up connections.
 */
import * as grpc from '@grpc/grpc-js';

export interface GrpcChannelsOptions {
  /** The credentials of the channel to one target (asked once per channel). */
  readonly credentialsFor: (target: string) => grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  /** A channel with no call in flight for this long is closed (ms, > 0). */
  readonly idleCloseMs: number;
}

interface Channel {
  readonly client: grpc.Client;
  active: number;
  idleTimer: NodeJS.Timeout | undefined;
}

export class ChannelsClosed extends Error {
  override name = 'ChannelsClosed';
}

export class GrpcChannels {
  readonly #options: GrpcChannelsOptions;
  readonly #channels = new Map<string, Channel>();
  #closed = false;

  constructor(options: GrpcChannelsOptions) {
    if (!Number.isFinite(options.idleCloseMs) || options.idleCloseMs <= 0) {
      throw new RangeError(`idleCloseMs must be a positive number, got ${options.idleCloseMs}`);
    }
    this.#options = options;
  }

  /**
   * Runs `use` on the target's channel (created on first use; the target string is handed to
   * grpc-js as is, so resolver schemes registered by drivers apply). The channel counts as busy
   * until `use` settles. Throws ChannelsClosed after close(), and whatever grpc-js throws for a
   * target it cannot parse.
   */
  async with<T>(target: string, use: (client: grpc.Client) => Promise<T>): Promise<T> {
    if (this.#closed) throw new ChannelsClosed('gRPC channels are closed');
    const channel = this.#channelOf(target);
    channel.active += 1;
    if (channel.idleTimer !== undefined) {
      clearTimeout(channel.idleTimer);
      channel.idleTimer = undefined;
    }
    try {
      return await use(channel.client);
    } finally {
      channel.active -= 1;
      if (channel.active === 0 && !this.#closed) this.#armIdleClose(target, channel);
    }
  }

  /** Number of open channels (targets with a live client). */
  get size(): number {
    return this.#channels.size;
  }

  /** Closes every channel; calls in flight fail with CANCELLED/UNAVAILABLE. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const channel of this.#channels.values()) {
      if (channel.idleTimer !== undefined) clearTimeout(channel.idleTimer);
      channel.client.close();
    }
    this.#channels.clear();
  }

  #channelOf(target: string): Channel {
    const known = this.#channels.get(target);
    if (known !== undefined) return known;
    const client = new grpc.Client(target, this.#options.credentialsFor(target), this.#options.channelOptions);
    const channel: Channel = { client, active: 0, idleTimer: undefined };
    this.#channels.set(target, channel);
    return channel;
  }

  #armIdleClose(target: string, channel: Channel): void {
    channel.idleTimer = setTimeout(() => {
      if (channel.active > 0 || this.#channels.get(target) !== channel) return;
      this.#channels.delete(target);
      channel.client.close();
    }, this.#options.idleCloseMs);
    // An idle channel must not keep the process alive.
    channel.idleTimer.unref();
  }
}
