import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Reply } from '../../engine/command.js';
import { newGid } from '../../engine/gid.js';
import { CoordinatorError, Internal, PayloadTooLarge } from '../../errors.js';
import { flatStringObject } from '../schema/branch-input-schema.js';
import { JSON_RPC_INVALID_REQUEST, JSON_RPC_METHOD_NOT_FOUND, JSON_RPC_PARSE_ERROR } from '../../protocol/outcome-table.js';
import { jsonTransInput, runRegisterBranch, runTransCall, type TransCallDeps } from '../trans-commands.js';
import { answer, decodeJsonRpc, rpcError, type JsonRpcAnswer, type JsonRpcError } from './json-rpc-envelope.js';

/** The longest part of an unknown method name the -32601 message repeats. */
const METHOD_SHOWN_CHARS = 64;

export interface JsonRpcDeps extends TransCallDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
}

/**
 * `POST /api/json-rpc` on the HTTP port (spec §4): dtm's methods `newGid`, `prepare`, `submit`,
 * `abort` (params = the transaction of spec §2.1 through the shared schema; the gid is not
 * escaped) and `registerBranch` (params = the flat object of strings of HTTP registerBranch).
 * Error codes: -32901 FAILURE and -32902
 * ONGOING from the outcome table, -32603 for every other error (dtm's code for errors and panics,
 * bad params included), with dtx's error code in `error.data.code`.
 */
type Method = (params: unknown) => Promise<{ readonly result: unknown } | { readonly reply: Reply }>;

export function jsonRpcRoute(deps: JsonRpcDeps): Router {
  const log = deps.logger.child({ component: 'ingress.jsonrpc' });
  const trans = (call: 'prepare' | 'submit' | 'abort'): Method => async (params) => ({
    reply: await runTransCall(deps, call, jsonTransInput(params, 'params'), 'jsonrpc'),
  });
  const methods: Readonly<Record<string, Method>> = {
    newGid: () => Promise.resolve({ result: { gid: newGid() } }),
    prepare: trans('prepare'),
    submit: trans('submit'),
    abort: trans('abort'),
    // params: the flat object of strings of HTTP registerBranch; the gid is not escaped
    registerBranch: async (params) => ({ reply: await runRegisterBranch(deps, { fields: flatStringObject(params, 'params'), protocol: 'http' }, 'jsonrpc') }),
  };

  const r = Router();
  r.post('/', express.raw({ type: () => true, limit: deps.maxBodyBytes }), async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const decoded = decodeJsonRpc(raw);
    if ('answer' in decoded) return send(res, decoded.answer);
    const { id, method } = decoded.request;
    const run = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (run === undefined) return send(res, answer(id, { code: JSON_RPC_METHOD_NOT_FOUND, message: `Method not found: ${method.length > METHOD_SHOWN_CHARS ? `${method.slice(0, METHOD_SHOWN_CHARS)}...` : method}` }));
    try {
      const out = await run(decoded.request.params);
      if ('result' in out) return send(res, answer(id, null, out.result));
      const { reply } = out;
      send(res, answer(id, reply.ok ? null : rpcError(reply.result, reply.message, reply.code)));
    } catch (err) {
      send(res, answer(id, thrown(err, log, method)));
    }
  });
  // body errors (too large, aborted upload) answered in the envelope instead of the API's JSON
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      const tooLarge = new PayloadTooLarge(`request body exceeds HttpMaxBodyBytes (${deps.maxBodyBytes} bytes)`);
      return send(res, answer('', { code: JSON_RPC_INVALID_REQUEST, message: tooLarge.message, data: { code: tooLarge.code } }, null, tooLarge.httpStatus));
    }
    // the reader's other refusals (an undecodable Content-Encoding, an unsupported charset): a parse error
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return send(res, answer('', { code: JSON_RPC_PARSE_ERROR, message: `Parse json error: request body: unreadable (${e.message ?? 'no reason given'})`, data: { code: 'DTX_BAD_REQUEST' } }, null, 400));
    }
    next(err);
  });
  return r;
}

function send(res: Response, a: JsonRpcAnswer): void {
  res.status(a.httpStatus).json(a.body);
}

function thrown(err: unknown, log: Logger, method: string): JsonRpcError {
  if (err instanceof CoordinatorError) {
    if (err.retryable) log.warn({ err, method }, 'JSON-RPC call failed, retryable');
    else if (err.httpStatus === 500 && err.code !== 'DTX_TRANS_NOT_FOUND') log.error({ err, method }, 'JSON-RPC call failed');
    return rpcError(err.result, err.message, err.code);
  }
  log.error({ err, method }, 'unexpected error in JSON-RPC handler');
  return rpcError('ERROR', `internal error: ${err instanceof Error ? err.message : String(err)}`, Internal.code);
}
