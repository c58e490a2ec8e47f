import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequest } from '../../errors.js';
import type { Metrics } from '../../observability/metrics.js';
import { runRegisterBranch, runTransCall, type TransCall, type TransCallDeps } from '../trans-commands.js';
import { replyAnswer, writeJson } from './reply-mapper.js';
import { httpBranchInput, httpTransInput } from './trans-request.js';

export interface FastTransRouteDeps extends TransCallDeps {
  readonly metrics: Metrics;
  readonly maxBodyBytes: number;
  /** `Auth.Tokens`: whether a request's Authorization header passes (bearer-auth.ts `authorizationCheck`). */
  readonly authorized: (authorization: string | undefined) => boolean;
  /** Answers an error exactly as the express app's error handler does (logging included). */
  readonly answerError: (err: unknown, path: string, res: ServerResponse) => void;
}

type Handler = (deps: FastTransRouteDeps, body: unknown) => ReturnType<typeof runTransCall>;

// async: a body the input mappers refuse (they throw) becomes a rejection, answered like any error
const transCall = (call: TransCall): Handler => async (deps, body) => runTransCall(deps, call, httpTransInput(body), 'http');
const registerBranch: Handler = async (deps, body) => runRegisterBranch(deps, httpBranchInput(body), 'http');

/** The hot POST routes, by exact path, with their `api` metrics label (see api-label.ts). */
const ROUTES: ReadonlyMap<string, { readonly api: string; readonly handle: Handler }> = new Map([
  ['/api/dtmsvr/submit', { api: 'submit', handle: transCall('submit') }],
  ['/api/dtmsvr/prepare', { api: 'prepare', handle: transCall('prepare') }],
  ['/api/dtmsvr/abort', { api: 'abort', handle: transCall('abort') }],
  ['/api/dtmsvr/registerBranch', { api: 'registerbranch', handle: registerBranch }],
  ['/api/dtmsvr/registerTccBranch', { api: 'registertccbranch', handle: registerBranch }],
  ['/api/dtmsvr/registerXaBranch', { api: 'registerxabranch', handle: registerBranch }],
]);

/**
 * The transaction calls of `/api/dtmsvr` (submit, prepare, abort, registerBranch) without express:
 * the same checks, command, answer and metrics as the express routes (dtmsvr-routes.ts with the
 * raw body parser, jsonBody, metricsMiddleware and bearerAuth in front), at a fraction of the CPU
 * per request. It takes only the plain case — POST to the exact path with a `Content-Length` body
 * within HttpMaxBodyBytes, no `Content-Encoding`, an accepted token when tokens are configured —
 * and returns false for anything else, before reading a byte, so express answers it as before.
 */
export function fastTransRoute(deps: FastTransRouteDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = ROUTES.get(path);
    if (route === undefined) return false;
    const h = req.headers;
    const length = Number(h['content-length']);
    if (!(length > 0 && length <= deps.maxBodyBytes) || h['transfer-encoding'] !== undefined) return false;
    const encoding = h['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    if (!deps.authorized(h.authorization)) return false;
    const end = deps.metrics.responseDuration.startTimer({ type: 'http', api: route.api });
    res.once('finish', () => {
      end();
      deps.metrics.serverProcess.inc({ type: 'http', api: route.api, status: res.statusCode >= 400 ? 'fail' : 'ok' });
    });
    readBody(req, length, (raw) => {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch (err) {
        deps.answerError(new BadRequest(`request body is not valid JSON: ${(err as Error).message}`), path, res);
        return;
      }
      route.handle(deps, body).then(
        (reply) => writeJson(res, replyAnswer(reply)),
        (err: unknown) => deps.answerError(err, path, res),
      );
    });
    return true;
  };
}

/**
 * Reads the body (node's parser delivers exactly Content-Length bytes). A request aborted before
 * its end gets no answer: nobody would read it.
 */
function readBody(req: IncomingMessage, length: number, done: (raw: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)));
}
