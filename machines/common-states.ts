import type { TransEvent } from './vocabulary.js';
import type { TransContext } from './trans-context.js';
import { rejectWith, update } from './machine-kit.js';
import { finishFailed, finishSucceed, rejections, sameBody } from './trans-lifecycle.js';

/**
 * State-node pieces every built-in type (and the quorum example) shares: creation from idle, the
 * operator transitions, and the two final statuses that answer late calls with dtm's texts.
 */
export const BRANCH_RESULT_EVENTS = ['BranchSucceeded', 'BranchFailed', 'BranchOngoing', 'BranchErrored'] as const;

export const forceStop = { target: 'failed' as const };
export const cronReset = { actions: update((ctx, e) => ({ ...ctx, nextCronTime: e.at, updateTime: e.at })) };
export const duplicateGid = rejectWith((c) => rejections.duplicateGid(c.gid));

/**
 * A prepare or submit under a stored gid whose body (trans_type, steps, payloads: `sameBody`)
 * differs is refused with DTX_DUPLICATE_GID; the same body falls through to the next transition.
 */
export const otherBodyRejected = {
  guard: ({ context, event }: { context: TransContext; event: Extract<TransEvent, { type: 'TransCreated' | 'TransSubmitted' }> }) => !sameBody(context.spec, event.spec),
  actions: duplicateGid,
};

/** idle: TransCreated goes to `submitted` or `prepared` with the type's context builder. */
export function idleState(created: (ctx: TransContext, e: TransEvent) => TransContext) {
  return {
    on: {
      TransCreated: [
        { guard: ({ event }: { event: Extract<TransEvent, { type: 'TransCreated' }> }) => event.status === 'submitted', target: 'submitted' as const, actions: update(created) },
        { target: 'prepared' as const, actions: update(created) },
      ],
    },
  };
}

/** succeed / failed: record the finish time; every later client call gets dtm's 409 text. */
export function finishedState(status: 'succeed' | 'failed') {
  return {
    entry: update((c, e) => (status === 'succeed' ? finishSucceed(c, e.at) : finishFailed(c, e.at))),
    on: {
      TransCreated: { actions: rejectWith(() => rejections.prepare(status)) },
      TransSubmitted: { actions: rejectWith(() => rejections.submit(status)) },
      TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, status)) },
      TransForceStopped: { actions: rejectWith(() => rejections.forceStop(status)) },
    },
  };
}
