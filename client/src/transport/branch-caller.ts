import * as grpc from '@grpc/grpc-js';
import { DtmTransportError } from '../errors.js';
import { httpAnswerError } from '../dtm-result.js';
import { BranchResponse } from '../payload.js';
import type { Protocol, TransType } from '../trans-request.js';
import { describeFetchError } from './http-dtm-server.js';
import { grpcCallError } from './grpc-dtm-server.js';

/** The transaction a client-side branch call belongs to (tcc try, xa action, msg query-back, workflow steps). */
export interface BranchCallContext {
  readonly gid: string;
  readonly trans_type: TransType;
  /** The server's address, sent as `dtm` so that the branch can register nested branches. */
  readonly dtm: string;
  readonly protocol: Protocol;
  readonly branchHeaders?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export interface BranchCall {
  /** `http(s)://...` or, in a gRPC transaction, `host:port/package.Service/Method`. */
  readonly url: string;
  readonly branchId: string;
  readonly op: string;
  readonly payload?: Uint8Array;
  /** HTTP method (default POST with a payload, GET without). */
  readonly method?: 'GET' | 'POST';
  /** Extra query parameters / metadata (xa: `phase2_url`). */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * Calls a branch from the client as dtm's SDKs do: HTTP with the query parameters `dtm`, `gid`,
 * `branch_id`, `trans_type`, `op` (and the extras) and the transaction's `branch_headers`; gRPC with
 * the same as `dtm-*` metadata and the payload bytes as the request message. The answer is
 * classified by dtm's rules: DtmFailure, DtmOngoing, DtmRequestError, or DtmTransportError.
 */
export async function callBranch(ctx: BranchCallContext, call: BranchCall): Promise<BranchResponse> {
  if (/^https?:\/\//i.test(call.url)) return callHttpBranch(ctx, call);
  if (ctx.protocol === 'grpc') return callGrpcBranch(ctx, call);
  throw new TypeError(`branch URL '${call.url}' is not an http(s) URL; gRPC branch URLs need a transaction over gRPC (grpcDtm)`);
}

async function callHttpBranch(ctx: BranchCallContext, call: BranchCall): Promise<BranchResponse> {
  const url = new URL(call.url);
  const params = { dtm: ctx.dtm, gid: ctx.gid, branch_id: call.branchId, trans_type: ctx.trans_type, op: call.op, ...call.extra };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const method = call.method ?? (call.payload !== undefined ? 'POST' : 'GET');
  let status: number;
  let bytes: Uint8Array;
  try {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...ctx.branchHeaders },
      ...(method === 'POST' && call.payload !== undefined ? { body: call.payload } : {}),
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    status = res.status;
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new DtmTransportError(`branch ${call.branchId} ${call.op}: no answer from ${call.url}: ${describeFetchError(err)}`, call.url, { cause: err });
  }
  const response = new BranchResponse(bytes, status);
  const error = httpAnswerError(status, response.text(), `branch ${call.branchId} ${call.op} ${call.url}`);
  if (error) throw error;
  return response;
}

const channels = new Map<string, grpc.Client>();
const identity = (b: Buffer): Buffer => b;

/** `host:port/package.Service/Method` → target and full method name (dtm's default driver: split at the first `/`). */
export function splitGrpcUrl(url: string): { target: string; method: string } {
  const slash = url.indexOf('/');
  if (slash <= 0 || url.includes('://')) throw new TypeError(`bad gRPC branch URL '${url}': expected host:port/package.Service/Method`);
  return { target: url.slice(0, slash), method: url.slice(slash) };
}

/** One cached channel per target, as dtm's SDKs keep one connection per server. */
export function grpcChannel(target: string): grpc.Client {
  let client = channels.get(target);
  if (!client) {
    client = new grpc.Client(target, grpc.credentials.createInsecure());
    channels.set(target, client);
  }
  return client;
}

/** Closes the cached gRPC channels of branch calls (for a clean process exit in tests and scripts). */
export function closeBranchChannels(): void {
  for (const c of channels.values()) c.close();
  channels.clear();
}

function callGrpcBranch(ctx: BranchCallContext, call: BranchCall): Promise<BranchResponse> {
  const { target, method } = splitGrpcUrl(call.url);
  const md = new grpc.Metadata();
  const meta = { gid: ctx.gid, trans_type: ctx.trans_type, branch_id: call.branchId, op: call.op, dtm: ctx.dtm, ...call.extra };
  for (const [k, v] of Object.entries(meta)) md.set(`dtm-${k}`, v);
  for (const [k, v] of Object.entries(ctx.branchHeaders ?? {})) md.set(k, v);
  const payload = call.payload ?? new Uint8Array();
  return new Promise((resolve, reject) => {
    grpcChannel(target).makeUnaryRequest(method, identity, identity, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), md, { deadline: Date.now() + ctx.timeoutMs }, (err, value) => {
      if (err) reject(grpcCallError(err, `branch ${call.branchId} ${call.op} ${call.url}`, target));
      else resolve(new BranchResponse(new Uint8Array(value ?? Buffer.alloc(0))));
    });
  });
}
