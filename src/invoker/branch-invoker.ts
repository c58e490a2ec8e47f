/**
 * The engine's invoker: routes each branch call by transport (spec §6.1, `branchTransportOf`):
 * an empty URL succeeds without a call; HTTP and JSON-RPC URLs go to the HTTP invoker; everything
 * else to the gRPC invoker. The alert webhook (`postJson`) is HTTP.
 */
import { branchTransportOf } from './branch-url.js';
import type { BranchCall, BranchOutcome, Invoker } from './invoker.js';

export interface BranchInvokerParts {
  /** HTTP and JSON-RPC branches, and the alert webhook (HttpInvoker). */
  readonly http: Invoker;
  /** gRPC branches (GrpcInvoker). */
  readonly grpc: Invoker;
}

export class BranchInvoker implements Invoker {
  readonly #http: Invoker;
  readonly #grpc: Invoker;

  constructor(parts: BranchInvokerParts) {
    this.#http = parts.http;
    this.#grpc = parts.grpc;
  }

  call(call: BranchCall): Promise<BranchOutcome> {
    switch (branchTransportOf(call.protocol, call.url)) {
      case 'none':
        return Promise.resolve({ result: 'SUCCESS', message: '' });
      case 'grpc':
        return this.#grpc.call(call);
      case 'http':
      case 'json-rpc':
        return this.#http.call(call);
    }
  }

  postJson(url: string, body: unknown, timeoutMs: number): Promise<number | undefined> {
    return this.#http.postJson(url, body, timeoutMs);
  }

  /** Closes both invokers, even when one of them fails to close; rethrows the first failure. */
  async close(): Promise<void> {
    const results = await Promise.allSettled([this.#http.close(), this.#grpc.close()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
