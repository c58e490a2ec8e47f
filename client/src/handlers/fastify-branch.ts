import { branchContextFromQuery, type BranchContext } from '../branch-context.js';
import { answerOf } from './branch-answer.js';

/** The parts of fastify's request and reply these helpers use. */
export interface FastifyRequestLike {
  readonly query: unknown;
  readonly body?: unknown;
}
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  header(key: string, value: string): FastifyReplyLike;
  send(payload: string): unknown;
}

/**
 * A fastify route handler for a dtm branch (see dtmExpressHandler for the contract): dtm's query
 * parameters in, dtm's result codes out. fastify parses JSON bodies by itself; dtm sends GET
 * without a body for empty payloads, so register the route for both methods when that can happen.
 *
 * ```ts
 * fastify.post('/transIn', dtmFastifyHandler(async (ctx, req) => { ... }));
 * ```
 */
export function dtmFastifyHandler<Req extends FastifyRequestLike>(fn: (ctx: BranchContext, req: Req) => Promise<unknown>): (req: Req, reply: FastifyReplyLike) => Promise<void> {
  return async (req, reply) => {
    const answer = await answerOf(() => fn(branchContextFromQuery((req.query ?? {}) as Record<string, unknown>), req));
    await reply.code(answer.status).header('content-type', 'application/json').send(answer.body);
  };
}
