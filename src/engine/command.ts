import type { BranchRegistration, CallResult, TransSpec } from '../../machines/index.js';
import { errorRowOf, type ErrorCode } from '../protocol/error-table.js';
import type { TopicChange } from './topic-state.js';

/**
 * Commands enter the engine from ingress (client calls), the invoker (branch results) and the
 * timer wheel (cron). Each has an id: a command delivered twice is applied once.
 */
export type Command =
  | { readonly id: string; readonly gid: string; readonly kind: 'prepare'; readonly spec: TransSpec }
  | { readonly id: string; readonly gid: string; readonly kind: 'submit'; readonly spec: TransSpec }
  /**
   * prepareWorkflow (spec §5.8): creates the transaction like `prepare` when the gid is new; for a
   * known gid (any type, any status) it records nothing. Either way the reply carries the view.
   */
  | { readonly id: string; readonly gid: string; readonly kind: 'prepareWorkflow'; readonly spec: TransSpec }
  | { readonly id: string; readonly gid: string; readonly kind: 'abort'; readonly requestType: string; readonly reason: string }
  /** registerBranch (spec §5.5): the machine of the stored type adds the rows or refuses. */
  | { readonly id: string; readonly gid: string; readonly kind: 'registerBranch'; readonly registration: BranchRegistration }
  | { readonly id: string; readonly gid: string; readonly kind: 'forceStop' }
  | { readonly id: string; readonly gid: string; readonly kind: 'resetNextCronTime' }
  | { readonly id: string; readonly gid: string; readonly kind: 'cronFired' }
  /** A change to a topic; `gid` is the topic's reserved key (src/log/kv-records.ts, docs/topics.md). */
  | { readonly id: string; readonly gid: string; readonly kind: 'topic'; readonly change: TopicChange }
  /** Read through the owner (Kafka): answered in order with the partition's other commands; never recorded. */
  | { readonly id: string; readonly gid: string; readonly kind: 'query' }
  /**
   * Kafka, wait_result: asks the current owner for the outcome of a transaction submitted earlier
   * (its first owner may have died after the submit was durable); answered like the submit's wait,
   * or like an abort's (`call: 'abort'`: a rollback ending in `failed` is its success).
   */
  | { readonly id: string; readonly gid: string; readonly kind: 'awaitResult'; readonly call?: 'abort' }
  | {
      readonly id: string;
      readonly gid: string;
      readonly kind: 'branchResult';
      readonly branchId: string;
      readonly op: string;
      readonly attempt: number;
      readonly result: CallResult;
      readonly message: string;
    };

export type CommandKind = Command['kind'];

/**
 * The engine's answer to a command, mapped to HTTP/gRPC/JSON-RPC by ingress: a dtx `code` through the
 * error table (src/protocol/error-table.ts), a bare FAILURE/ONGOING result through the outcome table.
 * A reply never carries a status of its own.
 */
export type Reply =
  | {
      readonly ok: true;
      /** dtm view text (`{"transaction","branches"}`): a `query` of a known gid, every successful `prepareWorkflow` */
      readonly view?: string;
    }
  | {
      readonly ok: false;
      readonly result: 'FAILURE' | 'ONGOING' | 'ERROR';
      readonly message: string;
      /** stable dtx error code (docs/errors.md), when the error is dtx's own */
      readonly code?: ErrorCode;
    };

export const OK: Reply = Object.freeze({ ok: true });

/** A failed reply with dtx code `code`: its result comes from the error table. */
export function errorReply(message: string, code: ErrorCode): Reply {
  const result = errorRowOf(code).result;
  return { ok: false, result: result === 'SUCCESS' ? 'ERROR' : result, message, code };
}

/**
 * The answer to a command that arrives while this process stops, and to a wait_result whose pass
 * did not settle before the stop's grace ended (retryable: another worker or the restarted process
 * takes it; what was accepted is durable and goes on after the restart).
 */
export const SHUTTING_DOWN: Reply = Object.freeze(errorReply('dtx is shutting down; retry', 'DTX_SHUTTING_DOWN'));

/**
 * Where ingress commands go when this process does not decide them itself (Kafka): produced to
 * the command stream and answered by the partition's owner, wherever it runs.
 */
export interface CommandBus {
  send(cmd: Command, wait: boolean): Promise<Reply>;
}
