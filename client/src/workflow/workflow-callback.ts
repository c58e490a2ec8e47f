import type * as grpc from '@grpc/grpc-js';
import { branchContextFromQuery } from '../branch-context.js';
import { answerOf, type BranchAnswer } from '../handlers/branch-answer.js';
import { branchContextFromMetadata, grpcBranchError } from '../handlers/grpc-branch.js';
import type { Workflows } from './workflows.js';

/**
 * The HTTP resume callback (dtm calls `callbackUrl` with `gid`, and `op` = the workflow's name, and
 * the workflow's input as the body): executes the workflow again and answers dtm's result codes.
 * Give it the query and the raw body bytes; with express: `express.raw({ type: () => true })`.
 */
export function workflowHttpCallback(workflows: Workflows, query: URLSearchParams | Readonly<Record<string, unknown>>, body: Uint8Array | undefined): Promise<BranchAnswer> {
  const ctx = branchContextFromQuery(query);
  return answerOf(async () => {
    if (ctx.gid === '' || ctx.op === '') throw new TypeError('not a workflow resume call: missing gid or op');
    await workflows.execute(ctx.op, ctx.gid, body ?? new Uint8Array());
  });
}

/**
 * The gRPC resume callback, `workflow.Workflow/Execute(WorkflowData)`: add it to your grpc-js server
 * with `server.addService(workflowService(), workflowGrpcImplementation(workflows))`.
 */
export function workflowGrpcImplementation(workflows: Workflows): grpc.UntypedServiceImplementation {
  const Execute: grpc.handleUnaryCall<{ Data: Buffer }, Record<string, never>> = (call, callback) => {
    const ctx = branchContextFromMetadata(call.metadata);
    workflows.execute(ctx.op, ctx.gid, new Uint8Array(call.request.Data ?? Buffer.alloc(0))).then(
      () => callback(null, {}),
      (err: unknown) => callback(grpcBranchError(err)),
    );
  };
  return { Execute };
}
