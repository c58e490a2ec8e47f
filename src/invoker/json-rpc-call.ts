/**
 * JSON-RPC branch calls (spec §6.3). Request, POSTed to the branch URL as is (query kept):
 *
 *   {"jsonrpc":"2.0","method":<URL's `method` query param>,"id":<random>,
 *    "params":<payload JSON object> + {"gid","trans_type","branch_id","op"}}
 *
 * Answer: HTTP classification first (§6.5), then the body's `error`: null/absent → SUCCESS,
 * code -32901 → FAILURE, -32902 → ONGOING, anything else → ERROR. dtm never recognises the two codes
 * (float64 vs int, §16.3); we implement them as documented.
 */
import { classifyHttpAnswer, failureMessage, resultOfJsonRpcCode } from '../protocol/outcome-table.js';
import type { ClassifiedAnswer } from '../protocol/outcome-table.js';
import { queryParamOf } from './branch-url.js';
import type { BranchCall } from './invoker.js';

export type JsonRpcRequest =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly message: string };

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Builds the request body. The payload must be a JSON object (dtm panics otherwise, which fails the
 * pass); an empty payload (msg query-back, xa phase 2) counts as `{}` instead of failing forever.
 */
export function buildJsonRpcRequest(call: BranchCall, id: string): JsonRpcRequest {
  const text = Buffer.from(call.payload.buffer, call.payload.byteOffset, call.payload.byteLength).toString('utf8');
  let params: unknown = {};
  if (text.trim() !== '') {
    try {
      params = JSON.parse(text);
    } catch (err) {
      return { ok: false, message: `json-rpc payload is not JSON: ${(err as Error).message}` };
    }
  }
  if (!isJsonObject(params)) return { ok: false, message: 'json-rpc payload is not a JSON object' };
  const body = {
    jsonrpc: '2.0',
    method: queryParamOf(call.url, 'method'),
    id,
    params: { ...params, gid: call.gid, trans_type: call.transType, branch_id: call.branchId, op: call.op },
  };
  return { ok: true, body: JSON.stringify(body) };
}

/** Classifies a JSON-RPC answer: HTTP rules first, then `error.code` (see the file header). */
export function classifyJsonRpcAnswer(status: number, body: string): ClassifiedAnswer {
  const byHttp = classifyHttpAnswer(status, body);
  if (byHttp.result !== 'SUCCESS') return byHttp;
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return { result: 'ERROR', message: `json-rpc answer is not JSON: ${body}` };
  }
  if (!isJsonObject(answer)) return { result: 'ERROR', message: `json-rpc answer is not an object: ${body}` };
  const error = answer['error'];
  if (error === null || error === undefined) return { result: 'SUCCESS', message: body };
  const code = isJsonObject(error) && typeof error['code'] === 'number' ? error['code'] : undefined;
  const result = code === undefined ? 'ERROR' : resultOfJsonRpcCode(code);
  if (result === 'FAILURE') return { result, message: failureMessage(body) };
  // A numeric code can never mean SUCCESS; only a null/absent `error` does.
  return { result: result === 'SUCCESS' ? 'ERROR' : result, message: body };
}
