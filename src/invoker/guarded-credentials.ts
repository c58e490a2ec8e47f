/**
 * Channel credentials that check every connection a gRPC branch channel makes, on the address the
 * socket actually reached, before a byte of HTTP/2 is sent: the gRPC half of the call-time outbound
 * policy (the HTTP invoker's is its connect lookup). A name that resolves to another address than
 * when it was checked (DNS rebinding), a registry that hands out a metadata address, or a target
 * form the checks before the call did not foresee cannot get a call through: the connection is
 * destroyed and the call fails UNAVAILABLE with the reason.
 *
 * grpc-js 1.14 calls `_createSecureConnector` once per subchannel and the connector's `connect`
 * with each new TCP socket; the wrapped credentials (insecure or TLS) then do their own part.
 */
import * as grpc from '@grpc/grpc-js';
import type { Socket } from 'node:net';
import type { GrpcDialTarget } from './grpc-target.js';
import type { OutboundPolicy } from './outbound-policy.js';

/** Why a connection of a channel to `target` that reached `ip:port` is refused, if it is. */
export function connectionProblem(target: GrpcDialTarget, policy: OutboundPolicy, ip: string | undefined, port: number | undefined): string | undefined {
  if (ip === undefined || port === undefined) return 'dtx calls gRPC branches over TCP only';
  if (target.kind === 'refused') return target.reason;
  // a registry's addresses are not held against Invoker.Allow (docs/security.md), the fixed rules still apply
  if (target.kind === 'registry') return policy.addressProblem(ip, ip, port, 'unlisted');
  let first: string | undefined;
  for (const t of target.targets) {
    if (t.port !== port) continue;
    const problem = policy.addressProblem(t.host, ip, port);
    if (problem === undefined) return undefined;
    first ??= problem;
  }
  return first ?? `${ip}:${port} is not an address of the target`;
}

type Connector = ReturnType<grpc.ChannelCredentials['_createSecureConnector']>;

export class GuardedCredentials extends grpc.ChannelCredentials {
  readonly #inner: grpc.ChannelCredentials;
  readonly #check: (socket: Socket) => string | undefined;

  constructor(inner: grpc.ChannelCredentials, check: (socket: Socket) => string | undefined) {
    super();
    this.#inner = inner;
    this.#check = check;
  }

  override compose(callCredentials: grpc.CallCredentials): grpc.ChannelCredentials {
    return new GuardedCredentials(this.#inner.compose(callCredentials), this.#check);
  }

  _isSecure(): boolean {
    return this.#inner._isSecure();
  }

  /** One instance per channel: subchannels are not shared with channels checked for other targets. */
  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<grpc.ChannelCredentials['_createSecureConnector']>): Connector {
    const inner = this.#inner._createSecureConnector(...args);
    const check = this.#check;
    return {
      connect(socket) {
        const problem = check(socket);
        if (problem === undefined) return inner.connect(socket);
        socket.destroy();
        return Promise.reject(new Error(`outbound policy: ${problem}`));
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}
