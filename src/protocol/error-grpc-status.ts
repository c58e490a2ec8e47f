/**
 * The gRPC status of each dtx error code (docs/errors.md, column "gRPC"), the sibling of the
 * outcome table for errors that dtm has no result for. Keyed by the code text so that this table
 * imports nothing from src/errors.ts (which reads the outcome table); test/unit/errors.test.ts
 * keeps the keys equal to ERROR_CODES and the doc column equal to the values.
 *
 * Codes whose result is FAILURE or ONGOING map as the outcome table does (Aborted,
 * FailedPrecondition): dtm's SDKs read those two codes as results (spec §10.3).
 */
import { status } from '@grpc/grpc-js';
import { grpcCodeOf, type DtmResult } from './outcome-table.js';

export const GRPC_STATUS_OF_CODE: Readonly<Record<string, status>> = Object.freeze({
  DTX_BAD_REQUEST: status.INVALID_ARGUMENT,
  DTX_UNAUTHORIZED: status.UNAUTHENTICATED,
  DTX_PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  // dtm: a missing gid panics in GetTransGlobal, and its recover interceptor answers Internal
  DTX_TRANS_NOT_FOUND: status.INTERNAL,
  DTX_INVALID_TRANSITION: status.ABORTED,
  DTX_DUPLICATE_GID: status.ABORTED,
  DTX_BRANCH_FAILURE: status.ABORTED,
  DTX_BRANCH_ONGOING: status.FAILED_PRECONDITION,
  DTX_LOG_UNAVAILABLE: status.UNAVAILABLE,
  DTX_NOT_SUPPORTED: status.UNIMPLEMENTED,
  DTX_OVERLOADED: status.UNAVAILABLE,
  DTX_NOT_OWNER: status.UNAVAILABLE,
  DTX_NO_OWNER: status.UNAVAILABLE,
  DTX_INTERNAL: status.INTERNAL,
});

/**
 * Status of a failed answer: the row of its dtx `code` when it has one, else the outcome table's
 * code for its result (FAILURE → Aborted, ONGOING → FailedPrecondition, ERROR → Unknown, as dtm
 * answers a plain error).
 */
export function grpcStatusOf(result: DtmResult, code: string | undefined): status {
  const byCode = code === undefined ? undefined : GRPC_STATUS_OF_CODE[code];
  return byCode ?? (grpcCodeOf(result) as status);
}

/** The name of a status code as gRPC documents it (`INVALID_ARGUMENT`). */
export function grpcStatusName(code: status): string {
  return status[code] ?? `UNKNOWN_STATUS_${code}`;
}
