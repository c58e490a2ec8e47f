import * as grpc from '@grpc/grpc-js';
import { DtmRequestError, DtmTransportError } from '../errors.js';
import { grpcResultError, GRPC_CODE } from '../dtm-result.js';
import type { WorkflowProgresses } from '../trans-request.js';
import { callTimeoutMs, DEFAULT_TIMEOUT_MS, type BranchRegistrationCall, type DtmServer, type DtmServerOptions, type GlobalTransCall } from './dtm-server.js';
import { dtmServiceClient } from './proto-files.js';

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, value?: unknown) => void) => void;

interface ProgressesReply {
  Transaction: { Gid: string; Status: string; RollbackReason: string; Result: string } | null;
  Progresses: Array<{ Status: string; BinData: Buffer; BranchID: string; Op: string }>;
}

/** The `dtmgimp.DtmRequest` the Go SDK builds (GetDtmRequest): options always present, Steps as JSON text. */
export function dtmRequestOf(call: GlobalTransCall): Record<string, unknown> {
  const o = call.options;
  return {
    Gid: call.gid,
    TransType: call.trans_type,
    TransOptions: {
      WaitResult: o.wait_result ?? false,
      TimeoutToFail: o.timeout_to_fail ?? 0,
      RetryInterval: o.retry_interval ?? 0,
      BranchHeaders: { ...(o.branch_headers ?? {}) },
      RequestTimeout: o.request_timeout ?? 0,
      RetryLimit: o.retry_limit ?? 0,
    },
    QueryPrepared: call.query_prepared ?? '',
    CustomedData: call.custom_data ?? '',
    BinPayloads: (call.payloads ?? []).map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)),
    Steps: JSON.stringify(call.steps && call.steps.length > 0 ? call.steps : null),
    ReqExtra: { ...(call.req_extra ?? {}) },
    RollbackReason: call.rollback_reason ?? '',
  };
}

/** Maps a gRPC error of a call to dtm's API or a branch to this package's typed errors. */
export function grpcCallError(err: grpc.ServiceError, what: string, target: string): Error {
  const result = grpcResultError(err.code, err.details, what);
  if (result) return result;
  if (err.code === GRPC_CODE.UNAVAILABLE || err.code === GRPC_CODE.DEADLINE_EXCEEDED || err.code === grpc.status.CANCELLED) {
    return new DtmTransportError(`${what}: no answer from ${target}: ${grpc.status[err.code]} ${err.details}`, target, { cause: err });
  }
  return new DtmRequestError(`${what}: ${grpc.status[err.code] ?? err.code} ${err.details}`, undefined, err.code, err.details, { cause: err });
}

/**
 * dtm's gRPC API (`dtmgimp.Dtm`, proto/dtmgimp.proto) with @grpc/grpc-js over one channel.
 * Transactions created through it have protocol `grpc`: the server calls their branches over gRPC
 * (`host:port/package.Service/Method`), or HTTP for `http://` URLs.
 */
export class GrpcDtmServer implements DtmServer {
  readonly protocol = 'grpc';
  readonly #client: grpc.Client;
  readonly #timeoutMs: number;

  constructor(
    readonly address: string,
    options: DtmServerOptions & { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {},
  ) {
    const Ctor = dtmServiceClient();
    this.#client = new Ctor(address, options.credentials ?? grpc.credentials.createInsecure(), options.channelOptions ?? {});
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async newGid(): Promise<string> {
    const reply = (await this.#unary('NewGid', {}, this.#timeoutMs, '')) as { Gid: string };
    if (!reply.Gid) throw new DtmRequestError('NewGid: empty gid', undefined, 0, '');
    return reply.Gid;
  }

  async prepare(call: GlobalTransCall): Promise<void> {
    await this.#unary('Prepare', dtmRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs), call.gid);
  }

  async submit(call: GlobalTransCall): Promise<void> {
    await this.#unary('Submit', dtmRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs), call.gid);
  }

  async abort(call: GlobalTransCall): Promise<void> {
    await this.#unary('Abort', dtmRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs), call.gid);
  }

  async registerBranch(call: BranchRegistrationCall): Promise<void> {
    const { gid, trans_type, branch_id, ...data } = call.fields;
    const payload = call.payload ?? new Uint8Array();
    const req = { Gid: gid, TransType: trans_type, BranchID: branch_id, Data: data, BusiPayload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) };
    await this.#unary('RegisterBranch', req, this.#timeoutMs, gid);
  }

  async prepareWorkflow(call: GlobalTransCall): Promise<WorkflowProgresses> {
    const reply = (await this.#unary('PrepareWorkflow', dtmRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs), call.gid)) as ProgressesReply;
    const t = reply.Transaction;
    return {
      transaction: { gid: t?.Gid ?? '', status: t?.Status ?? '', rollback_reason: t?.RollbackReason ?? '', result: t?.Result ?? '' },
      progresses: reply.Progresses.map((p) => ({ branch_id: p.BranchID, op: p.Op, status: p.Status, bin_data: new Uint8Array(p.BinData) })),
    };
  }

  close(): void {
    this.#client.close();
  }

  #unary(method: string, req: unknown, timeoutMs: number, gid: string): Promise<unknown> {
    const fn = (this.#client as unknown as Record<string, Unary>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.#client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, value) => {
        if (err) reject(grpcCallError(err, `${method} ${gid}`.trim(), this.address));
        else resolve(value);
      });
    });
  }
}

/** dtm's gRPC API at `target` (e.g. `127.0.0.1:36790`). */
export function grpcDtm(target: string, options?: ConstructorParameters<typeof GrpcDtmServer>[1]): DtmServer {
  return new GrpcDtmServer(target, options);
}
