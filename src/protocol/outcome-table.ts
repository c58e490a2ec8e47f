/**
 * The one table that maps a dtm result across protocols (spec §1.7, STYLE L8). Ingress adapters read
 * it to answer clients; the invokers read it to classify branch answers (spec §6.5). Nothing else
 * may hard-code 409/425/Aborted/-32901: add a column here instead.
 */

/** A dtm result. `ERROR` is "anything else": retried with backoff, never a decision. */
export type DtmResult = 'SUCCESS' | 'FAILURE' | 'ONGOING' | 'ERROR';

export interface OutcomeRow {
  readonly result: DtmResult;
  /** Status dtm answers with, and the status a branch answers with to mean this result. */
  readonly httpStatus: number;
  /** Numeric gRPC status code (OK 0, UNKNOWN 2, FAILED_PRECONDITION 9, ABORTED 10). */
  readonly grpcCode: number;
  /** JSON-RPC `error.code`; null = no `error` member. */
  readonly jsonRpcCode: number | null;
}

export const GRPC_OK = 0;
export const GRPC_UNKNOWN = 2;
export const GRPC_FAILED_PRECONDITION = 9;
export const GRPC_ABORTED = 10;

export const JSON_RPC_FAILURE = -32901;
export const JSON_RPC_ONGOING = -32902;
export const JSON_RPC_INTERNAL = -32603;
/** JSON-RPC 2.0's own codes, answered by dtm's `/api/json-rpc` (spec §4) before any call runs. */
export const JSON_RPC_PARSE_ERROR = -32700;
export const JSON_RPC_INVALID_REQUEST = -32600;
export const JSON_RPC_METHOD_NOT_FOUND = -32601;

/**
 * Note for the JSON-RPC ingress: dtm itself answers ONGOING service errors with -32603 (spec §4);
 * the -32902 here is the documented branch-side code (spec §1.7, §6.3, fix of §16.3).
 */
export const OUTCOMES: readonly OutcomeRow[] = Object.freeze([
  Object.freeze({ result: 'SUCCESS', httpStatus: 200, grpcCode: GRPC_OK, jsonRpcCode: null }),
  Object.freeze({ result: 'FAILURE', httpStatus: 409, grpcCode: GRPC_ABORTED, jsonRpcCode: JSON_RPC_FAILURE }),
  Object.freeze({ result: 'ONGOING', httpStatus: 425, grpcCode: GRPC_FAILED_PRECONDITION, jsonRpcCode: JSON_RPC_ONGOING }),
  Object.freeze({ result: 'ERROR', httpStatus: 500, grpcCode: GRPC_UNKNOWN, jsonRpcCode: JSON_RPC_INTERNAL }),
] satisfies OutcomeRow[]);

/** Text markers searched in HTTP bodies (spec §6.5) and the suffix of FAILURE error texts (§3.1). */
export const ONGOING_MARKER = 'ONGOING';
export const FAILURE_MARKER = 'FAILURE';

function rowOf(result: DtmResult): OutcomeRow {
  const row = OUTCOMES.find((r) => r.result === result);
  if (row === undefined) throw new RangeError(`unknown dtm result: ${String(result)}`);
  return row;
}

export function httpStatusOf(result: DtmResult): number {
  return rowOf(result).httpStatus;
}

export function grpcCodeOf(result: DtmResult): number {
  return rowOf(result).grpcCode;
}

export function jsonRpcCodeOf(result: DtmResult): number | null {
  return rowOf(result).jsonRpcCode;
}

/** `error.code` of a JSON-RPC answer → result; null/undefined (no error) → SUCCESS, unknown → ERROR. */
export function resultOfJsonRpcCode(code: number | null | undefined): DtmResult {
  if (code === null || code === undefined) return 'SUCCESS';
  return OUTCOMES.find((r) => r.jsonRpcCode === code)?.result ?? 'ERROR';
}

/**
 * dtm's FAILURE error text: `<text> FAILURE`, without doubling an existing suffix
 * (`ErrorMessage2Error`). Every FAILURE answer must contain `FAILURE`: clients test for it (§3.1).
 */
export function failureMessage(text: string): string {
  const suffix = ` ${FAILURE_MARKER}`;
  return text.endsWith(suffix) ? text : `${text}${suffix}`;
}

export interface ClassifiedAnswer {
  readonly result: DtmResult;
  readonly message: string;
}

/**
 * HTTP branch answer → result, in dtm's order (spec §6.5, §16.17): ONGOING (425 or body mentions
 * ONGOING) wins over FAILURE (409 or body mentions FAILURE); then any status but 200 (even 201/204)
 * is an ERROR whose message is the body; else SUCCESS. Transport errors never reach this function.
 */
export function classifyHttpAnswer(status: number, body: string): ClassifiedAnswer {
  if (status === httpStatusOf('ONGOING') || body.includes(ONGOING_MARKER)) {
    return { result: 'ONGOING', message: body };
  }
  if (status === httpStatusOf('FAILURE') || body.includes(FAILURE_MARKER)) {
    return { result: 'FAILURE', message: failureMessage(body) };
  }
  if (status !== httpStatusOf('SUCCESS')) return { result: 'ERROR', message: body };
  return { result: 'SUCCESS', message: body };
}

/**
 * gRPC status → result (spec §6.5, `GrpcError2DtmError`): Aborted with message exactly `ONGOING` is
 * the pre-v1.10 ONGOING; other Aborted → FAILURE; FailedPrecondition → ONGOING; OK → SUCCESS; any
 * other code → ERROR. The FAILURE text is dtm's `"%s. %w"`: `<message>. FAILURE`.
 */
export function classifyGrpcAnswer(code: number, message: string): ClassifiedAnswer {
  if (code === GRPC_ABORTED) {
    if (message === ONGOING_MARKER) return { result: 'ONGOING', message };
    return { result: 'FAILURE', message: `${message}. ${FAILURE_MARKER}` };
  }
  if (code === GRPC_FAILED_PRECONDITION) return { result: 'ONGOING', message };
  if (code === GRPC_OK) return { result: 'SUCCESS', message };
  return { result: 'ERROR', message };
}
