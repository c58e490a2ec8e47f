/**
 * The coordinator's errors (STYLE L7, L22). Every error dtx raises on purpose is a CoordinatorError
 * with a code of the one error table (src/protocol/error-table.ts): its result, HTTP status, gRPC
 * status and retryability come from that row, never from the place that throws. Subclasses exist
 * only for errors that are thrown and caught by type.
 */
import { failureMessage } from './protocol/outcome-table.js';
import type { DtmResult } from './protocol/outcome-table.js';
import { ERROR_CODES, errorRowOf, type ErrorCode } from './protocol/error-table.js';

export { ERROR_CODES, type ErrorCode } from './protocol/error-table.js';

export interface CoordinatorErrorOptions {
  readonly cause?: unknown;
}

export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly result: DtmResult;
  /** Status the HTTP ingress answers with (the table's). */
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, options?: CoordinatorErrorOptions) {
    const row = errorRowOf(code);
    // FAILURE texts end with ` FAILURE`: clients detect failure by that substring (spec §3.1).
    super(row.result === 'FAILURE' ? failureMessage(message) : message, options);
    this.code = code;
    this.retryable = row.retryable;
    this.result = row.result;
    this.httpStatus = row.httpStatus;
  }
}

/** Malformed request (bad JSON, schema violation); the message names the field. */
export class BadRequest extends CoordinatorError {
  static readonly code = 'DTX_BAD_REQUEST';
  override name = 'BadRequest';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(BadRequest.code, message, options);
  }
}

/** The API needs a bearer token (`Auth.Tokens`) and the request has none or a wrong one. */
export class Unauthorized extends CoordinatorError {
  static readonly code = 'DTX_UNAUTHORIZED';
  override name = 'Unauthorized';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(Unauthorized.code, message, options);
  }
}

/** A browser request from another site (cross-site request forgery): refused before any route. */
export class Forbidden extends CoordinatorError {
  static readonly code = 'DTX_FORBIDDEN';
  override name = 'Forbidden';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(Forbidden.code, message, options);
  }
}

/** dtx's own API (`/api/dtx/*`): nothing is stored under the name asked for. */
export class NotFound extends CoordinatorError {
  static readonly code = 'DTX_NOT_FOUND';
  override name = 'NotFound';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(NotFound.code, message, options);
  }
}

/** Request body above the configured limit. */
export class PayloadTooLarge extends CoordinatorError {
  static readonly code = 'DTX_PAYLOAD_TOO_LARGE';
  override name = 'PayloadTooLarge';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(PayloadTooLarge.code, message, options);
  }
}

/** A shared bound of the process is spent right now (bodies in flight, open payload bytes): retry later. */
export class Overloaded extends CoordinatorError {
  static readonly code = 'DTX_OVERLOADED';
  override name = 'Overloaded';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(Overloaded.code, message, options);
  }
}

/** HTTP request line and headers above Node's header size limit (answered before any route). */
export class HeadersTooLarge extends CoordinatorError {
  static readonly code = 'DTX_HEADERS_TOO_LARGE';
  override name = 'HeadersTooLarge';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(HeadersTooLarge.code, message, options);
  }
}

/** The event log cannot append or read right now (disk, broker, fencing lost). */
export class LogUnavailable extends CoordinatorError {
  static readonly code = 'DTX_LOG_UNAVAILABLE';
  override name = 'LogUnavailable';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(LogUnavailable.code, message, options);
  }
}

/** No Kafka broker answered a connection: the message names the brokers, the setting and what to check (one start-up line). */
export class BrokersUnreachable extends LogUnavailable {
  override name = 'BrokersUnreachable';
}

/**
 * The OAuth token endpoint (`Store.KafkaSasl.TokenEndpoint`) gave no token; the message says what
 * it answered and the setting to check. `retriable` (read by kafkajs's connection retries) is false
 * when no retry can fix it: the client refused, a wrong URL, an answer without a usable token.
 */
export class OAuthTokenFailure extends LogUnavailable {
  override name = 'OAuthTokenFailure';
  readonly retriable: boolean;
  constructor(message: string, retriable: boolean, options?: CoordinatorErrorOptions) {
    super(message, options);
    this.retriable = retriable;
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
    super(NotOwner.code, message, options);
    this.fenced = options?.fenced ?? true;
  }
}

/** No worker answered for the command's partition in time (no owner yet, or a rebalance runs). */
export class NoOwner extends CoordinatorError {
  static readonly code = 'DTX_NO_OWNER';
  override name = 'NoOwner';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(NoOwner.code, message, options);
  }
}

/** A broken invariant inside dtx (dtm's panic → 500). */
export class Internal extends CoordinatorError {
  static readonly code = 'DTX_INTERNAL';
  override name = 'Internal';
  constructor(message: string, options?: CoordinatorErrorOptions) {
    super(Internal.code, message, options);
  }
}

/** The classes thrown and caught by type. The codes raised only as engine replies have none. */
export const ERROR_CLASSES = Object.freeze([BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, HeadersTooLarge, Overloaded, LogUnavailable, NotOwner, NoOwner, Internal] as const);

/** Every code of the table is raised somewhere: by a class above or as an engine reply's code. */
export const REPLY_ONLY_CODES: readonly ErrorCode[] = Object.freeze(ERROR_CODES.filter((c) => !ERROR_CLASSES.some((k) => k.code === c)));

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

/** What `errorChain` reads of an error: kafkajs's fields (`type`, `retriable`, `originalError`) included. */
export interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
  readonly errors?: unknown;
}

/** `err` and the errors it wraps (cause, originalError, an aggregate's members), outermost first; at most 16. */
export function errorChain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || out.includes(e as ErrorLike)) continue;
    const x = e as ErrorLike;
    out.push(x);
    queue.push(x.cause, x.originalError, ...(Array.isArray(x.errors) ? x.errors : []));
  }
  return out;
}

/**
 * The broker's answer when `err` (or one it aggregates, or its cause) is an ACL refusal: kafkajs
 * names them `TOPIC_AUTHORIZATION_FAILED`, `GROUP_...`, `TRANSACTIONAL_ID_...`, `CLUSTER_...`. Never
 * retriable: only an operator granting the ACL changes the answer. Here, not beside the Kafka
 * adapter: the start-up line reads it, and the embedded mode loads no kafkajs file.
 */
export function kafkaAuthorizationFailure(err: unknown): string | undefined {
  const e = errorChain(err).find((x) => typeof x.type === 'string' && x.type.endsWith('_AUTHORIZATION_FAILED'));
  if (e === undefined) return undefined;
  return typeof e.message === 'string' ? `${String(e.type)}: ${e.message}` : String(e.type);
}
