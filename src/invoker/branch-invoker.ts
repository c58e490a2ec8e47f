/**
 * The engine's invoker: routes each branch call by transport (spec §6.1, `branchTransportOf`):
 * an empty URL succeeds without a call; HTTP and JSON-RPC URLs go to the HTTP invoker; everything
 * else to the gRPC invoker. A payload to wrap (`wrapIn`) is encoded first. The alert webhook
 * (`postJson`) is HTTP.
 */
import { branchTransportOf } from './branch-url.js';
import type { BranchCall, BranchOutcome, Invoker } from './invoker.js';
import type { PayloadWrapper } from '../../machines/index.js';
import { dtmProto } from '../protocol/dtm-proto.js';

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

  call(wrapped: BranchCall): Promise<BranchOutcome> {
    let call: BranchCall;
    try {
      call = wrapPayload(wrapped);
    } catch (err) {
      return Promise.resolve({ result: 'ERROR', message: `dtx could not build the call: ${String(err)}` });
    }
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

/**
 * Payload wrappers (spec §6.6): a call whose `wrapIn` names a protobuf message sends that message
 * with the payload as its bytes field `Data`, encoded with dtm's protos (src/protocol/dtm-proto.ts),
 * never by hand. Today one message: `workflow.WorkflowData {bytes Data = 1}`, the input of a gRPC
 * workflow's resume callback (`workflow.Workflow/Execute`), as dtm's server sends it.
 */
const ENCODERS: Readonly<Record<PayloadWrapper, (data: Uint8Array) => Uint8Array>> = {
  // proto3: empty bytes are not on the wire (protobufjs would write an empty field; Go writes none)
  'workflow.WorkflowData': (data) => dtmProto().messages.WorkflowData.encode(data.byteLength > 0 ? { Data: data } : {}),
};

/** The call as it goes on the wire: its payload wrapped when it asks for it, `wrapIn` dropped. */
export function wrapPayload(call: BranchCall): BranchCall {
  if (call.wrapIn === undefined) return call;
  const encode = ENCODERS[call.wrapIn];
  // a wrapper this build does not know is a programmer error (machines name only PAYLOAD_WRAPPERS)
  if (encode === undefined) throw new TypeError(`unknown payload wrapper '${String(call.wrapIn)}'`);
  const { wrapIn: _done, ...rest } = call;
  return { ...rest, payload: encode(call.payload) };
}
