import type { CallResult, TransSpec } from '../../machines/index.js';

/**
 * Commands enter the engine from ingress (client calls), the invoker (branch results) and the
 * timer wheel (cron). Each has an id: a command delivered twice is applied once.
 */
export type Command =
  | { readonly id: string; readonly gid: string; readonly kind: 'prepare'; readonly spec: TransSpec }
  | { readonly id: string; readonly gid: string; readonly kind: 'submit'; readonly spec: TransSpec }
  | { readonly id: string; readonly gid: string; readonly kind: 'abort'; readonly requestType: string; readonly reason: string }
  | { readonly id: string; readonly gid: string; readonly kind: 'forceStop' }
  | { readonly id: string; readonly gid: string; readonly kind: 'resetNextCronTime' }
  | { readonly id: string; readonly gid: string; readonly kind: 'cronFired' }
  /** Read through the owner (Kafka): answered in order with the partition's other commands; never recorded. */
  | { readonly id: string; readonly gid: string; readonly kind: 'query' }
  /**
   * Kafka, wait_result: asks the current owner for the outcome of a transaction submitted earlier
   * (its first owner may have died after the submit was durable); answered like the submit's wait.
   */
  | { readonly id: string; readonly gid: string; readonly kind: 'awaitResult' }
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

/** The engine's answer to a command, mapped to HTTP/gRPC by ingress through the outcome table. */
export type Reply =
  | { readonly ok: true; /** dtm view text, for a `query` command of a known gid */ readonly view?: string }
  | {
      readonly ok: false;
      readonly result: 'FAILURE' | 'ONGOING' | 'ERROR';
      readonly message: string;
      /** stable dtx error code (docs/errors.md), when the error is dtx's own */
      readonly code?: string;
      /** explicit HTTP status for dtx errors that dtm has no code for (503, 400) */
      readonly httpStatus?: number;
    };

export const OK: Reply = Object.freeze({ ok: true });

export function failure(message: string, code?: string): Reply {
  return { ok: false, result: 'FAILURE', message, ...(code ? { code } : {}) };
}

export function errorReply(message: string, code?: string, httpStatus?: number): Reply {
  return { ok: false, result: 'ERROR', message, ...(code ? { code } : {}), ...(httpStatus ? { httpStatus } : {}) };
}

/** The answer to a command that arrives while this process stops (retryable: another worker or a restart takes it). */
export const SHUTTING_DOWN: Reply = Object.freeze(errorReply('dtx is shutting down', 'DTX_OVERLOADED', 503));
