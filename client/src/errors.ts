/**
 * Typed errors of dtx-client. Every failure the client meets is thrown as one of these (or as the
 * error your own code threw), never swallowed:
 *
 * - {@link DtmFailure}: the result FAILURE (HTTP 409, gRPC `ABORTED`, or a body containing
 *   `FAILURE`): the transaction or branch is rolled back / refused. Not retryable as is.
 * - {@link DtmOngoing}: the result ONGOING (HTTP 425, gRPC `FAILED_PRECONDITION`): not finished yet;
 *   the server retries later. Retryable.
 * - {@link DtmTransportError}: no answer (connection refused, reset, timeout, gRPC `UNAVAILABLE` or
 *   `DEADLINE_EXCEEDED`): whether the call took effect is unknown. Retryable.
 * - {@link DtmRequestError}: an answer that is none of the above (HTTP 400/500, other gRPC codes).
 * - {@link DtmDuplicated}: a msg `doAndSubmit` whose barrier row exists already (dtm's ErrDuplicated).
 * - {@link DtmAbortFailed}: your transaction function failed and the abort that should follow failed too.
 */
export type DtmErrorKind = 'FAILURE' | 'ONGOING' | 'TRANSPORT' | 'REQUEST' | 'DUPLICATED' | 'ABORT_FAILED';

export abstract class DtmError extends Error {
  abstract readonly kind: DtmErrorKind;
  /** True when the same call may succeed later without any change. */
  abstract readonly retryable: boolean;
}

/** The result FAILURE: the branch or the server refused; roll back. Throw it from a branch handler to answer FAILURE. */
export class DtmFailure extends DtmError {
  override readonly name = 'DtmFailure';
  readonly kind = 'FAILURE';
  readonly retryable = false;
  constructor(message = 'FAILURE', options?: ErrorOptions) {
    super(message, options);
  }
}

/** The result ONGOING: not done yet, ask again later. Throw it from a branch handler to answer ONGOING. */
export class DtmOngoing extends DtmError {
  override readonly name = 'DtmOngoing';
  readonly kind = 'ONGOING';
  readonly retryable = true;
  constructor(message = 'ONGOING', options?: ErrorOptions) {
    super(message, options);
  }
}

/** No answer was received: the call may or may not have taken effect. */
export class DtmTransportError extends DtmError {
  override readonly name = 'DtmTransportError';
  readonly kind = 'TRANSPORT';
  readonly retryable = true;
  constructor(
    message: string,
    /** The URL or gRPC target that was called. */
    readonly target: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An answer other than SUCCESS, FAILURE and ONGOING: bad input (4xx), a server error (5xx), another gRPC code. */
export class DtmRequestError extends DtmError {
  override readonly name = 'DtmRequestError';
  readonly kind = 'REQUEST';
  readonly retryable = false;
  constructor(
    message: string,
    /** HTTP status, or undefined over gRPC. */
    readonly httpStatus: number | undefined,
    /** gRPC status code, or undefined over HTTP. */
    readonly grpcCode: number | undefined,
    /** The body or status message as received. */
    readonly body: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** dtm's ErrDuplicated: the msg `doAndSubmit` barrier (branch `00`, op `msg`) was inserted before. */
export class DtmDuplicated extends DtmError {
  override readonly name = 'DtmDuplicated';
  readonly kind = 'DUPLICATED';
  readonly retryable = false;
  constructor(message = 'DUPLICATED', options?: ErrorOptions) {
    super(message, options);
  }
}

/** The transaction function failed (`cause`) and the abort sent after it failed too (`abortError`). */
export class DtmAbortFailed extends DtmError {
  override readonly name = 'DtmAbortFailed';
  readonly kind = 'ABORT_FAILED';
  readonly retryable = false;
  constructor(
    message: string,
    readonly abortError: unknown,
    options: ErrorOptions & { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps anything thrown into an Error (a thrown string keeps its text). */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}

/** dtm's ErrorMessage2Error: `<text> FAILURE`, without doubling a suffix the text already has. */
export function withResultSuffix(text: string, result: 'FAILURE' | 'ONGOING'): string {
  return text.endsWith(` ${result}`) || text === result ? text : `${text} ${result}`;
}
