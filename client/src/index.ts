/**
 * dtx-client: a TypeScript client for dtm-compatible transaction coordinators (dtx and dtm itself,
 * the wire is the same). Global transactions (saga, msg, tcc, xa, workflow) over HTTP or gRPC,
 * the branch barrier on PostgreSQL, MySQL and Redis, and helpers for branch handlers.
 *
 * @packageDocumentation
 */
export { httpDtm, HttpDtmServer, transRequestOf } from './transport/http-dtm-server.js';
export { grpcDtm, GrpcDtmServer, dtmRequestOf } from './transport/grpc-dtm-server.js';
export type { DtmServer, DtmServerOptions, GlobalTransCall, BranchRegistrationCall } from './transport/dtm-server.js';
export { callBranch, closeBranchChannels, splitGrpcUrl } from './transport/branch-caller.js';
export type { BranchCall, BranchCallContext } from './transport/branch-caller.js';
export { workflowService, dtmServiceClient } from './transport/proto-files.js';

export { Saga } from './saga.js';
export { Msg, MSG_TOPIC_PREFIX } from './msg.js';
export { Tcc, tccGlobalTransaction, tccFromBranch } from './tcc.js';
export { Xa, xaGlobalTransaction } from './xa.js';
export { xaLocalTransaction } from './xa-local.js';
export { GlobalTransaction } from './global-transaction.js';
export { BranchIdGen } from './branch-id-gen.js';

export { Workflows } from './workflow/workflows.js';
export type { WorkflowFn, WorkflowRegistration } from './workflow/workflows.js';
export { Workflow } from './workflow/workflow.js';
export type { Phase2Fn, WorkflowOptions, SaveStep } from './workflow/workflow.js';
export type { StepResult, StepStatus } from './workflow/step-result.js';
export { workflowHttpCallback, workflowGrpcImplementation } from './workflow/workflow-callback.js';

export { BranchBarrier, DEFAULT_BARRIER_TABLE, MSG_BARRIER, insertBarrier } from './barrier/branch-barrier.js';
export { ensureBarrierTable } from './barrier/barrier-table.js';
export { redisCheckAdjustAmount, redisQueryPrepared, redisBarrierKey } from './barrier/redis-barrier.js';
export type { RedisLike, RedisAdjustOutcome } from './barrier/redis-barrier.js';
export { pgConnection, pgPool, mysqlConnection, mysqlPool } from './sql-connection.js';
export type { SqlConnection, PooledSqlConnection, SqlPool, SqlDialect, PgClientLike, PgPoolLike, MysqlConnectionLike, MysqlPoolLike } from './sql-connection.js';

export { branchContextFromQuery, branchContextFromLookup, requireBranchContext } from './branch-context.js';
export type { BranchContext } from './branch-context.js';
export { branchAnswer, answerOf } from './handlers/branch-answer.js';
export type { BranchAnswer } from './handlers/branch-answer.js';
export { dtmExpressHandler } from './handlers/express-branch.js';
export type { ExpressRequestLike, ExpressResponseLike } from './handlers/express-branch.js';
export { dtmFastifyHandler } from './handlers/fastify-branch.js';
export type { FastifyRequestLike, FastifyReplyLike } from './handlers/fastify-branch.js';
export { dtmGrpcHandler, grpcBranchError, branchContextFromMetadata, rawServiceDefinition } from './handlers/grpc-branch.js';

export { DtmError, DtmFailure, DtmOngoing, DtmTransportError, DtmRequestError, DtmDuplicated, DtmAbortFailed } from './errors.js';
export type { DtmErrorKind } from './errors.js';
export { RESULT_HTTP_STATUS, RESULT_GRPC_CODE } from './dtm-result.js';
export type { DtmResult } from './dtm-result.js';
export { BranchResponse } from './payload.js';
export type { Payload, JsonValue } from './payload.js';
export type { TransOptions, TransRequest, TransType, TransStep, Protocol, BranchRegistration, TransSummary, WorkflowProgress, WorkflowProgresses } from './trans-request.js';
