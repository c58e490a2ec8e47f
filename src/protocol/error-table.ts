/**
 * The one table of dtx's error codes (STYLE L22, after fastify's lib/errors.js): for each code, the
 * dtm result it stands for, the HTTP status and gRPC status every ingress answers with, and whether
 * a client may retry. Errors (src/errors.ts) and engine replies carry only a code; every status is
 * read here. docs/errors.md documents each row and test/unit/errors.test.ts keeps both in step.
 * Results without a dtx code map through the outcome table (src/protocol/outcome-table.ts).
 */
// The status enum from its own module, not the package's index: this table is loaded by processes
// that serve no gRPC too (through src/errors.ts: `dtx replay --all`'s worker processes read the
// SQLite log), which would otherwise load all of grpc-js, ~2 MiB of heap for one enum. It is the
// instance the index exports (test/unit/loaded-modules.test.ts).
import { Status as status } from '@grpc/grpc-js/build/src/constants.js';
import type { DtmResult } from './outcome-table.js';

export interface ErrorRow {
  readonly result: DtmResult;
  readonly httpStatus: number;
  readonly grpcStatus: status;
  readonly retryable: boolean;
}

const row = (result: DtmResult, httpStatus: number, grpcStatus: status, retryable: boolean): ErrorRow => Object.freeze({ result, httpStatus, grpcStatus, retryable });

export const ERROR_TABLE = Object.freeze({
  DTX_BAD_REQUEST: row('ERROR', 400, status.INVALID_ARGUMENT, false),
  DTX_UNAUTHORIZED: row('ERROR', 401, status.UNAUTHENTICATED, false),
  DTX_FORBIDDEN: row('ERROR', 403, status.PERMISSION_DENIED, false),
  DTX_NOT_FOUND: row('ERROR', 404, status.NOT_FOUND, false),
  DTX_PAYLOAD_TOO_LARGE: row('ERROR', 413, status.RESOURCE_EXHAUSTED, false),
  DTX_HEADERS_TOO_LARGE: row('ERROR', 431, status.RESOURCE_EXHAUSTED, false),
  // dtm answers an unknown gid with 500 `storage: NotFound`; over gRPC its panic recovery gives Internal
  DTX_TRANS_NOT_FOUND: row('ERROR', 500, status.INTERNAL, false),
  // FAILURE rows map as the outcome table does: dtm's SDKs read 409 / Aborted as a result
  DTX_INVALID_TRANSITION: row('FAILURE', 409, status.ABORTED, false),
  DTX_DUPLICATE_GID: row('FAILURE', 409, status.ABORTED, false),
  DTX_DUPLICATE_BRANCH: row('FAILURE', 409, status.ABORTED, false),
  // dtm's topic errors (`this url exists`, `no such a topic`, ...) are plain errors: 500, gRPC Unknown
  DTX_TOPIC_REFUSED: row('ERROR', 500, status.UNKNOWN, false),
  // a msg naming a topic without subscribers: dtm panics (`topic not found`): 500, gRPC Internal
  DTX_TOPIC_NOT_FOUND: row('ERROR', 500, status.INTERNAL, false),
  DTX_LOG_UNAVAILABLE: row('ERROR', 503, status.UNAVAILABLE, true),
  DTX_OVERLOADED: row('ERROR', 503, status.UNAVAILABLE, true),
  DTX_SHUTTING_DOWN: row('ERROR', 503, status.UNAVAILABLE, true),
  DTX_NOT_OWNER: row('ERROR', 503, status.UNAVAILABLE, true),
  DTX_NO_OWNER: row('ERROR', 503, status.UNAVAILABLE, true),
  DTX_INTERNAL: row('ERROR', 500, status.INTERNAL, false),
});

export type ErrorCode = keyof typeof ERROR_TABLE;

export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_TABLE) as ErrorCode[]);

/** A code named by a machine (machines cannot import src): kept when the table knows it. */
export function asErrorCode(code: string | undefined): ErrorCode | undefined {
  return code !== undefined && Object.hasOwn(ERROR_TABLE, code) ? (code as ErrorCode) : undefined;
}

export function errorRowOf(code: ErrorCode): ErrorRow {
  return ERROR_TABLE[code];
}

/** The name of a status code as gRPC documents it (`INVALID_ARGUMENT`). */
export function grpcStatusName(code: status): string {
  return status[code] ?? `UNKNOWN_STATUS_${code}`;
}
