/**
 * The coordinator's error hierarchy (STYLE L7). Every error we raise on purpose is a
 * CoordinatorError with a stable `code` (documented in docs/errors.md, checked by
 * test/unit/errors.test.ts), a `retryable` flag and the dtm `result` it stands for. Ingress maps
 * `httpStatus` / `result` to the wire through src/protocol/outcome-table.ts; nothing else decides
 * status codes.
 */
import { failureMessage, httpStatusOf } from './protocol/outcome-table.js';
import type { DtmResult } from './protocol/outcome-table.js';

export interface CoordinatorErrorOptions {
  readonly cause?: unknown;
  /** A route whose status differs from the class's (dtx's own API answers unknown gids with 404). */
  readonly httpStatus?: number;
}

interface ErrorShape {
  readonly code: string;
  readonly result: DtmResult;
  readonly retryable: boolean;
  /** Overrides the outcome table's status for `result` (400/413/501/503). */
  readonly httpStatus?: number;
}

export abstract class CoordinatorError extends Error {
  override name = 'CoordinatorError';
  readonly code: string;
  readonly retryable: boolean;
  readonly result: DtmResult;
  /** Status the HTTP ingress answers with: the override, else the outcome table's for `result`. */
  readonly httpStatus: number;

  protected constructor(message: string, shape: ErrorShape, options?: CoordinatorErrorOptions) {
    // FAILURE texts end with ` FAILURE`: clients detect failure by that substring (spec §3.1).
    super(shape.result === 'FAILURE' ? failureMessage(message) : message, options);
    this.code = shape.code;
    this.retryable = shape.retryable;
    this.result = shape.result;
    this.httpStatus = options?.httpStatus ?? shape.httpStatus ?? httpStatusOf(shape.result);
  }
}

/** Malformed request (bad JSON, schema violation). */
export class BadRequest extends CoordinatorError {
  static readonly code = 'DTX_BAD_REQUEST';
  override name = 'BadRequest';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: BadRequest.code, result: 'ERROR', retryable: false, httpStatus: 400 }, options);
  }
}

/** The API needs a bearer token (`Auth.Tokens`) and the request has none or a wrong one. */
export class Unauthorized extends CoordinatorError {
  static readonly code = 'DTX_UNAUTHORIZED';
  override name = 'Unauthorized';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: Unauthorized.code, result: 'ERROR', retryable: false, httpStatus: 401 }, options);
  }
}

/** Request body above the configured limit. */
export class PayloadTooLarge extends CoordinatorError {
  static readonly code = 'DTX_PAYLOAD_TOO_LARGE';
  override name = 'PayloadTooLarge';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: PayloadTooLarge.code, result: 'ERROR', retryable: false, httpStatus: 413 }, options);
  }
}

/** No such gid; dtm answers these with 500 (`storage: NotFound`, spec §16.10). */
export class TransNotFound extends CoordinatorError {
  static readonly code = 'DTX_TRANS_NOT_FOUND';
  override name = 'TransNotFound';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: TransNotFound.code, result: 'ERROR', retryable: false }, options);
  }
}

/** The call is not allowed in the transaction's current status (spec §5.9), e.g. submit after succeed. */
export class InvalidTransition extends CoordinatorError {
  static readonly code = 'DTX_INVALID_TRANSITION';
  override name = 'InvalidTransition';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: InvalidTransition.code, result: 'FAILURE', retryable: false }, options);
  }
}

/** The same gid was submitted again with a different body. */
export class DuplicateGid extends CoordinatorError {
  static readonly code = 'DTX_DUPLICATE_GID';
  override name = 'DuplicateGid';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: DuplicateGid.code, result: 'FAILURE', retryable: false }, options);
  }
}

/** A branch answered FAILURE: compensate / roll back, never retry the same call. */
export class BranchFailure extends CoordinatorError {
  static readonly code = 'DTX_BRANCH_FAILURE';
  override name = 'BranchFailure';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: BranchFailure.code, result: 'FAILURE', retryable: false }, options);
  }
}

/** A branch answered ONGOING: not decided yet, ask again later. */
export class BranchOngoing extends CoordinatorError {
  static readonly code = 'DTX_BRANCH_ONGOING';
  override name = 'BranchOngoing';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: BranchOngoing.code, result: 'ONGOING', retryable: true }, options);
  }
}

/** The event log cannot append or read right now (disk, broker, fencing lost). */
export class LogUnavailable extends CoordinatorError {
  static readonly code = 'DTX_LOG_UNAVAILABLE';
  override name = 'LogUnavailable';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: LogUnavailable.code, result: 'ERROR', retryable: true, httpStatus: 503 }, options);
  }
}

/** A route, method or trans_type that dtx does not support yet. */
export class NotSupported extends CoordinatorError {
  static readonly code = 'DTX_NOT_SUPPORTED';
  override name = 'NotSupported';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: NotSupported.code, result: 'ERROR', retryable: false, httpStatus: 501 }, options);
  }
}

/** Too many commands in flight for a partition; the client should back off and retry. */
export class Overloaded extends CoordinatorError {
  static readonly code = 'DTX_OVERLOADED';
  override name = 'Overloaded';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: Overloaded.code, result: 'ERROR', retryable: true, httpStatus: 503 }, options);
  }
}

/**
 * This worker does not (or no longer) own the command's partition: a newer owner fenced its
 * Kafka producer, or the partition moved in a rebalance. Nothing of the batch became visible.
 */
export class NotOwner extends CoordinatorError {
  static readonly code = 'DTX_NOT_OWNER';
  override name = 'NotOwner';
  /** true: a newer owner fenced this worker; false: this worker gave the partition up (a commit in doubt). */
  readonly fenced: boolean;
  constructor(message: string, options?: CoordinatorErrorOptions & { fenced?: boolean }) {
    super(message, { code: NotOwner.code, result: 'ERROR', retryable: true, httpStatus: 503 }, options);
    this.fenced = options?.fenced ?? true;
  }
}

/** No worker answered for the command's partition in time (no owner yet, or a rebalance runs). */
export class NoOwner extends CoordinatorError {
  static readonly code = 'DTX_NO_OWNER';
  override name = 'NoOwner';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: NoOwner.code, result: 'ERROR', retryable: true, httpStatus: 503 }, options);
  }
}

/** A broken invariant inside dtx (dtm's panic → 500). */
export class Internal extends CoordinatorError {
  static readonly code = 'DTX_INTERNAL';
  override name = 'Internal';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(message, { code: Internal.code, result: 'ERROR', retryable: false }, options);
  }
}

/** Every concrete error class; ERROR_CODES is derived from it so a code cannot exist without a class. */
export const ERROR_CLASSES = Object.freeze([
  BadRequest,
  Unauthorized,
  PayloadTooLarge,
  TransNotFound,
  InvalidTransition,
  DuplicateGid,
  BranchFailure,
  BranchOngoing,
  LogUnavailable,
  NotSupported,
  Overloaded,
  NotOwner,
  NoOwner,
  Internal,
] as const);

export const ERROR_CODES: readonly string[] = Object.freeze(ERROR_CLASSES.map((c) => c.code));

/** Turns anything thrown into an Error, keeping the original value as `cause`. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return new Error(`non-error thrown: ${text}`, { cause: value });
}

const PROGRAMMER_ERRORS: readonly (new (...args: never[]) => Error)[] = [TypeError, RangeError, ReferenceError, SyntaxError];

/**
 * Whether retrying the operation may help. Programmer errors never are (kafkajs
 * UNRECOVERABLE_ERRORS); CoordinatorErrors say so themselves; other errors (I/O) are assumed to be.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof CoordinatorError) return err.retryable;
  if (PROGRAMMER_ERRORS.some((k) => err instanceof k)) return false;
  return true;
}
