import { INPUT_BOUNDS } from '../schema/input-bounds.js';
import { JSON_RPC_INTERNAL, JSON_RPC_INVALID_REQUEST, JSON_RPC_PARSE_ERROR, jsonRpcCodeOf, type DtmResult } from '../../protocol/outcome-table.js';

/**
 * dtm's JSON-RPC envelope (spec §4). The request is decoded as Go decodes it into
 * `{Method, Jsonrpc string; Params any; ID string}`: keys match case-insensitively, a value of the
 * wrong type (a numeric `id`, say) or a body that is not an object is a parse error (-32700,
 * HTTP 400), and `null` leaves a field empty. An empty `id` or a `jsonrpc` other than "2.0" is an
 * invalid request (-32600, HTTP 200).
 */
export interface JsonRpcRequest {
  readonly method: string;
  readonly jsonrpc: string;
  readonly params: unknown;
  readonly id: string;
}

export interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  /** dtx's addition: `{ code }`, the stable dtx error code (docs/errors.md) when there is one. */
  readonly data?: { readonly code: string };
}

/** The answer: `result` is null on error and for calls without a value (prepare, submit, abort). */
export interface JsonRpcAnswer {
  readonly httpStatus: number;
  readonly body: { readonly jsonrpc: '2.0'; readonly id: string; readonly error: JsonRpcError | null; readonly result: unknown };
}

export type Decoded = { readonly request: JsonRpcRequest } | { readonly answer: JsonRpcAnswer };

export function answer(id: string, error: JsonRpcError | null, result: unknown = null, httpStatus = 200): JsonRpcAnswer {
  return { httpStatus, body: { jsonrpc: '2.0', id, error, result: error === null ? result : null } };
}

/**
 * A failed call's `error`: FAILURE -32901 and ONGOING -32902 by the outcome table, every other
 * error -32603 (dtm's code for errors and panics; dtm answers ONGOING with -32603 too, dtx with
 * the table's -32902 that its own JSON-RPC branch calls read). `data.code` = the dtx error code.
 */
export function rpcError(result: DtmResult, message: string, code: string | undefined): JsonRpcError {
  return { code: jsonRpcCodeOf(result) ?? JSON_RPC_INTERNAL, message, ...(code !== undefined ? { data: { code } } : {}) };
}

const FIELDS = ['method', 'jsonrpc', 'params', 'id'] as const;
/** dtm echoes the whole request in a -32600 message; dtx cuts the echo here. */
const ECHO_MAX_CHARS = 1024;

function parseError(id: string, message: string): Decoded {
  return { answer: answer(id, { code: JSON_RPC_PARSE_ERROR, message: `Parse json error: ${message}` }, null, 400) };
}

/** Decodes the raw body into a request, or the envelope-level error answer. */
export function decodeJsonRpc(raw: Buffer): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return parseError('', (err as Error).message);
  }
  if (value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) return parseError('', `the request must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const name = FIELDS.find((f) => f === k.toLowerCase());
    if (name !== undefined && (fields[name] === undefined || k === name)) fields[name] = v;
  }
  const id = typeof fields.id === 'string' && fields.id.length <= INPUT_BOUNDS.jsonRpcIdMaxChars ? fields.id : '';
  for (const name of ['method', 'jsonrpc', 'id'] as const) {
    const v = fields[name];
    if (v !== undefined && v !== null && typeof v !== 'string') return parseError(id, `${name}: expected a string, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  }
  if (typeof fields.id === 'string' && fields.id.length > INPUT_BOUNDS.jsonRpcIdMaxChars) return parseError('', `id: must be at most ${INPUT_BOUNDS.jsonRpcIdMaxChars} characters`);
  const request: JsonRpcRequest = {
    method: typeof fields.method === 'string' ? fields.method : '',
    jsonrpc: typeof fields.jsonrpc === 'string' ? fields.jsonrpc : '',
    params: fields.params ?? null,
    id,
  };
  if (request.id === '' || request.jsonrpc !== '2.0') {
    const echo = echoOf(request);
    const shown = echo.length > ECHO_MAX_CHARS ? `${echo.slice(0, ECHO_MAX_CHARS)}...` : echo;
    return { answer: answer(id, { code: JSON_RPC_INVALID_REQUEST, message: `Bad json request: ${shown}` }) };
  }
  return { request };
}

/** The request as JSON text for the -32600 message; params nested too deeply to serialise are not shown. */
function echoOf(request: JsonRpcRequest): string {
  try {
    return JSON.stringify(request);
  } catch {
    return JSON.stringify({ ...request, params: '(not shown: nested too deeply)' });
  }
}
