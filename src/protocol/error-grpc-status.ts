/**
 * The gRPC status of a failed answer: the error table's row for its dtx `code` when it has one,
 * else the outcome table's code for its result (FAILURE → Aborted, ONGOING → FailedPrecondition,
 * ERROR → Unknown, as dtm answers a plain error, spec §10.3).
 */
import type { status } from '@grpc/grpc-js';
import { grpcCodeOf, type DtmResult } from './outcome-table.js';
import { errorRowOf, type ErrorCode } from './error-table.js';

export function grpcStatusOf(result: DtmResult, code: ErrorCode | undefined): status {
  return code === undefined ? (grpcCodeOf(result) as status) : errorRowOf(code).grpcStatus;
}
