import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { newGid } from '../../engine/gid.js';
import type { Reply } from '../../engine/command.js';
import { BadRequest, CoordinatorError, Internal } from '../../errors.js';
import { grpcStatusOf } from '../../protocol/error-grpc-status.js';
import { dtmProto, type DtmGidReply, type DtmProgressesReply, type Empty, type MessageInit } from '../../protocol/dtm-proto.js';
import { runPrepareWorkflow, runRegisterBranch, runTransCall, type TransCall, type TransCallDeps } from '../trans-commands.js';
import { progressesReply } from '../workflow-progress.js';
import { wireProblem } from './proto-wire-check.js';
import { decodeDtmBranchRequest, decodeDtmRequest, decodeTopicRequest, EMPTY_SHAPE, grpcBranchInput, grpcTransInput } from './grpc-trans-input.js';
import { runTopicCall, type TopicCallDeps } from '../topic-calls.js';
import type { TopicOp } from '../schema/topic-input-schema.js';

/**
 * `dtmgimp.Dtm` (spec §10): NewGid, Prepare, Submit, Abort, RegisterBranch, PrepareWorkflow,
 * Subscribe, Unsubscribe and DeleteTopic dispatch the same commands as the HTTP routes.
 *
 * Requests arrive as raw bytes (see `rawRequestService`): grpc-js would answer a decoding failure
 * with Internal, and protobufjs decodes malformed bytes leniently, so the handlers check and
 * decode themselves and answer InvalidArgument naming the field.
 */
type RawHandler = grpc.handleUnaryCall<Buffer, Answer>;

/** The Dtm service definition with identity request deserialisers (replies keep the proto codec). */
export function rawRequestService(): grpc.ServiceDefinition {
  const identity = (b: Buffer): Buffer => b;
  return Object.fromEntries(Object.entries(dtmProto().dtmService).map(([name, m]) => [name, { ...m, requestDeserialize: identity }]));
}

type Answer = MessageInit<DtmGidReply> | MessageInit<DtmProgressesReply> | Empty;
/** What a handler's work ends with: a reply message, or the status of a failed engine reply. */
type Outcome = { readonly value: Answer } | { readonly error: grpc.ServiceError };

export function dtmServiceHandlers(deps: TransCallDeps & TopicCallDeps, logger: Logger): grpc.UntypedServiceImplementation {
  const log = logger.child({ component: 'ingress.grpc' });
  const unary = (method: string, work: (bytes: Buffer) => Promise<Outcome>): RawHandler => (call, callback) => {
    work(call.request).then(
      (out) => ('error' in out ? callback(out.error) : callback(null, out.value)),
      (err: unknown) => callback(thrownError(err, log, method)),
    );
  };
  const transCall = (method: string, call: TransCall): RawHandler => unary(method, async (bytes) => {
    const reply = await runTransCall(deps, call, grpcTransInput(decodeDtmRequest(bytes)), 'grpc');
    const error = replyError(reply);
    return error === undefined ? { value: {} } : { error };
  });
  const topicCall = (method: string, op: TopicOp): RawHandler => unary(method, async (bytes) => {
    const req = decodeTopicRequest(bytes);
    const error = replyError(await runTopicCall(deps, op, { topic: req.Topic, url: req.URL, remark: req.Remark }, 'grpc'));
    return error === undefined ? { value: {} } : { error };
  });
  const handlers: grpc.UntypedServiceImplementation = {
    NewGid: unary('NewGid', async (bytes) => {
      const problem = wireProblem(bytes, EMPTY_SHAPE);
      if (problem !== undefined) throw new BadRequest(`malformed google.protobuf.Empty: ${problem}`);
      return { value: { Gid: newGid() } };
    }),
    Prepare: transCall('Prepare', 'prepare'),
    Submit: transCall('Submit', 'submit'),
    Abort: transCall('Abort', 'abort'),
    RegisterBranch: unary('RegisterBranch', async (bytes) => {
      const error = replyError(await runRegisterBranch(deps, grpcBranchInput(decodeDtmBranchRequest(bytes)), 'grpc'));
      return error === undefined ? { value: {} } : { error };
    }),
    PrepareWorkflow: unary('PrepareWorkflow', async (bytes) => {
      const reply = await runPrepareWorkflow(deps, grpcTransInput(decodeDtmRequest(bytes)), 'grpc');
      return reply.ok ? { value: progressesReply(reply) } : { error: replyError(reply)! };
    }),
    Subscribe: topicCall('Subscribe', 'subscribe'),
    Unsubscribe: topicCall('Unsubscribe', 'unsubscribe'),
    DeleteTopic: topicCall('DeleteTopic', 'delete'),
  };
  return handlers;
}

/**
 * Engine replies and thrown errors as gRPC statuses (spec §10.3), through the outcome table and
 * the error-code table only: OK; FAILURE → Aborted and ONGOING → FailedPrecondition with dtm's
 * message; dtx errors by their code (BadRequest → InvalidArgument, retryable 503s → Unavailable,
 * ...). A dtx error code travels in the trailer `dtx-error-code` (docs/errors.md).
 */
export const ERROR_CODE_TRAILER = 'dtx-error-code';

/**
 * Characters of an error message sent as a status's details. Details travel percent-encoded in an
 * HTTP/2 trailer, and a message naming a field can repeat what the client sent (a 16,000-character
 * step key); above the client's header list limit (64 KiB in Node) the answer never arrives and
 * the call ends DEADLINE_EXCEEDED. At most ~6 KiB once encoded.
 */
export const MAX_STATUS_DETAILS = 1024;

/**
 * Lone UTF-16 surrogates. A request's strings can hold them (a JSON escape such as `\ud800` in
 * Steps), and a message naming the field repeats them; grpc-js percent-encodes the details with
 * `encodeURI`, which throws on one outside any handler: the process would exit.
 */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/** The details of a status: bounded, and well-formed Unicode (a lone surrogate becomes U+FFFD). */
export function statusDetails(message: string): string {
  const over = message.length - MAX_STATUS_DETAILS;
  const bounded = over > 0 ? `${message.slice(0, MAX_STATUS_DETAILS)}… (${over} more characters)` : message;
  return bounded.replace(LONE_SURROGATE, '\uFFFD');
}

function serviceError(code: grpc.status, message: string, dtxCode: string | undefined): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (dtxCode !== undefined) metadata.set(ERROR_CODE_TRAILER, dtxCode);
  const details = statusDetails(message);
  return Object.assign(new Error(details), { code, details, metadata });
}

/** A failed reply as a status; undefined for a successful one. */
export function replyError(reply: Reply): grpc.ServiceError | undefined {
  if (reply.ok) return undefined;
  return serviceError(grpcStatusOf(reply.result, reply.code), reply.message, reply.code);
}

/** Anything a handler threw. Unexpected errors are logged and answered Internal with their text. */
export function thrownError(err: unknown, log: Logger, method: string): grpc.ServiceError {
  if (err instanceof CoordinatorError) {
    if (err.retryable) log.warn({ err, method }, 'gRPC request failed, retryable');
    else if (err.httpStatus === 500 && err.code !== 'DTX_TRANS_NOT_FOUND') log.error({ err, method }, 'gRPC request failed');
    return serviceError(grpcStatusOf(err.result, err.code), err.message, err.code);
  }
  log.error({ err, method }, 'unexpected error in gRPC handler');
  const text = err instanceof Error ? err.message : String(err);
  return serviceError(grpc.status.INTERNAL, `internal error: ${text}`, Internal.code);
}
