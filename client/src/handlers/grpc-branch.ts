import * as grpc from '@grpc/grpc-js';
import { branchContextFromLookup, type BranchContext } from '../branch-context.js';
import { resultOf, RESULT_GRPC_CODE } from '../dtm-result.js';
import { ensureError } from '../errors.js';

/** Reads dtm's `dtm-*` metadata of a gRPC branch call. */
export function branchContextFromMetadata(md: grpc.Metadata): BranchContext {
  return branchContextFromLookup((key) => {
    const v = md.get(key)[0];
    return v === undefined ? undefined : String(v);
  });
}

/** The gRPC error a branch answers for what it threw (dtm's DtmError2GrpcError): ABORTED, FAILED_PRECONDITION or UNKNOWN. */
export function grpcBranchError(thrown: unknown): grpc.StatusObject {
  const err = ensureError(thrown);
  const result = resultOf(err);
  const code = result === 'FAILURE' || result === 'ONGOING' ? RESULT_GRPC_CODE[result] : grpc.status.UNKNOWN;
  return { code, details: err.message, metadata: new grpc.Metadata() };
}

/**
 * A grpc-js unary handler for a dtm branch: reads dtm's metadata into a BranchContext, runs
 * `fn(ctx, request, call)` and answers its result, or ABORTED for DtmFailure (FAILURE),
 * FAILED_PRECONDITION for DtmOngoing (ONGOING), UNKNOWN for any other error (retried by dtm).
 */
export function dtmGrpcHandler<Req, Res>(fn: (ctx: BranchContext, request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(branchContextFromMetadata(call.metadata), call.request, call).then(
      (value) => callback(null, value),
      (err: unknown) => callback(grpcBranchError(err)),
    );
  };
}

const identity = (b: Buffer): Buffer => b;

/**
 * A service definition whose methods take and answer raw bytes (Buffers): dtm sends a branch the
 * payload bytes as they are, so a branch service may decode them however it likes (protobuf with
 * your own codegen, JSON, ...). `methods` are the method names of `package.Service`.
 */
export function rawServiceDefinition(service: string, methods: readonly string[]): grpc.ServiceDefinition {
  return Object.fromEntries(
    methods.map((m) => [
      m,
      { path: `/${service}/${m}`, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity, originalName: m },
    ]),
  ) as grpc.ServiceDefinition;
}
