import { DtmFailure, DtmOngoing, DtmRequestError, withResultSuffix, type DtmError } from './errors.js';

/**
 * How dtm's results travel (dtm-spec §1.7, §6.5), in one table the transports, the branch callers
 * and the handler helpers all read: SUCCESS is HTTP 200 / gRPC OK, FAILURE is 409 / ABORTED,
 * ONGOING is 425 / FAILED_PRECONDITION.
 */
export type DtmResult = 'SUCCESS' | 'FAILURE' | 'ONGOING';

export const RESULT_HTTP_STATUS: Readonly<Record<DtmResult, number>> = Object.freeze({ SUCCESS: 200, FAILURE: 409, ONGOING: 425 });

/** grpc-js `status` numbers, written out so that this module does not load grpc-js. */
export const GRPC_CODE = Object.freeze({ OK: 0, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14 });

export const RESULT_GRPC_CODE: Readonly<Record<DtmResult, number>> = Object.freeze({
  SUCCESS: GRPC_CODE.OK,
  FAILURE: GRPC_CODE.ABORTED,
  ONGOING: GRPC_CODE.FAILED_PRECONDITION,
});

/**
 * Classifies an HTTP answer as dtm's SDKs do (HTTPResp2DtmError): 425 or a body containing
 * `ONGOING` → DtmOngoing; 409 or a body containing `FAILURE` → DtmFailure; any other status than
 * 200 → DtmRequestError; else undefined (SUCCESS).
 */
export function httpAnswerError(status: number, body: string, what: string): DtmError | undefined {
  if (status === 425 || body.includes('ONGOING')) return new DtmOngoing(withResultSuffix(`${what}: ${body}`, 'ONGOING'));
  if (status === 409 || body.includes('FAILURE')) return new DtmFailure(withResultSuffix(`${what}: ${body}`, 'FAILURE'));
  if (status !== 200) return new DtmRequestError(`${what}: HTTP ${status} ${body}`, status, undefined, body);
  return undefined;
}

/**
 * Classifies a gRPC status as dtm's SDKs do (GrpcError2DtmError): ABORTED → DtmFailure (ONGOING
 * when the message is exactly `ONGOING`, dtm before v1.10), FAILED_PRECONDITION → DtmOngoing;
 * undefined for any other code (the caller decides between transport and request errors).
 */
export function grpcResultError(code: number, details: string, what: string): DtmError | undefined {
  if (code === GRPC_CODE.ABORTED) {
    if (details === 'ONGOING') return new DtmOngoing(`${what}: ONGOING`);
    return new DtmFailure(withResultSuffix(`${what}: ${details}`, 'FAILURE'));
  }
  if (code === GRPC_CODE.FAILED_PRECONDITION) return new DtmOngoing(withResultSuffix(`${what}: ${details}`, 'ONGOING'));
  return undefined;
}

/** The result a branch handler answers for what it returned or threw. */
export function resultOf(outcome: unknown): DtmResult | 'ERROR' {
  if (outcome instanceof DtmFailure) return 'FAILURE';
  if (outcome instanceof DtmOngoing) return 'ONGOING';
  if (outcome instanceof Error) return 'ERROR';
  return 'SUCCESS';
}
