import { branchContextFromQuery, type BranchContext } from '../branch-context.js';
import { answerOf } from './branch-answer.js';

/** The parts of express's (4 and 5) request and response these helpers use. */
export interface ExpressRequestLike {
  readonly query: unknown;
  readonly body?: unknown;
}
export interface ExpressResponseLike {
  status(code: number): ExpressResponseLike;
  type(contentType: string): ExpressResponseLike;
  send(body: string): unknown;
}

/**
 * An express route handler for a dtm branch: reads dtm's query parameters into a BranchContext,
 * runs `fn(ctx, req)` and answers dtm's result codes (see branchAnswer): return a value (or
 * nothing) for SUCCESS, throw DtmFailure for FAILURE, DtmOngoing for ONGOING; anything else thrown
 * is a 500 that dtm retries. Use `express.json()` before it to read JSON payloads as `req.body`.
 *
 * ```ts
 * app.post('/transIn', express.json(), dtmExpressHandler(async (ctx, req) => {
 *   await BranchBarrier.from(ctx).callWithPool(pool, (conn) => credit(conn, req.body.amount));
 * }));
 * ```
 */
export function dtmExpressHandler<Req extends ExpressRequestLike>(fn: (ctx: BranchContext, req: Req) => Promise<unknown>): (req: Req, res: ExpressResponseLike) => Promise<void> {
  return async (req, res) => {
    const answer = await answerOf(() => fn(branchContextFromQuery((req.query ?? {}) as Record<string, unknown>), req));
    res.status(answer.status).type('application/json').send(answer.body);
  };
}
