import type { BranchResultEvent, TransEvent } from './vocabulary.js';
import type { TransContext } from './trans-context.js';
import { transSetup, stepAction, update, rejectWith } from './machine-kit.js';
import { createContext, finishFailed, finishSucceed, rejections, sameBody } from './trans-lifecycle.js';
import { isStaleResult } from './branch-calls.js';
import {
  isQueryDue, msgCronPass, msgPass, msgRepass, msgRows, onMsgResult, onQueryRetry, parseMsgExt, schedulePrepared, settleQuery, startQueryBack,
} from './msg-steps.js';

/**
 * MSG, the 2-phase message (spec §7.4): prepared → (submit | query-back SUCCESS) → submitted →
 * succeed once every action succeeded; abort or query-back FAILURE → failed. Actions are retried
 * until they succeed: a msg never rolls back after submit.
 */

type Ev<T extends TransEvent['type']> = Extract<TransEvent, { type: T }>;
const created = (_: TransContext, e: TransEvent) => {
  const c = e as Ev<'TransCreated'>;
  const ctx = createContext(c, msgRows(c.spec, c.at), { ...parseMsgExt(c.spec.customData) });
  return c.status === 'prepared' ? schedulePrepared(ctx) : ctx;
};
/** The submit of a prepared msg may carry custom_data (delay) the prepare did not (spec §16.14). */
const submitted = (ctx: TransContext, e: TransEvent) => {
  const spec = (e as Ev<'TransSubmitted'>).spec;
  if (spec === undefined || spec.customData === '' || spec.customData === ctx.customData) return { ...ctx, updateTime: e.at };
  return { ...ctx, customData: spec.customData, ext: { ...parseMsgExt(spec.customData) }, updateTime: e.at };
};
const isQueryAnswer = (ctx: TransContext, e: TransEvent) =>
  'branchId' in e && e.branchId === '00' && !isStaleResult(ctx, e as BranchResultEvent);
const forceStop = { target: 'failed' as const };
const cronReset = { actions: update((ctx, e) => ({ ...ctx, nextCronTime: e.at, updateTime: e.at })) };
const dup = rejectWith((c) => rejections.duplicateGid(c.gid));
const ACTION_RESULTS = ['BranchSucceeded', 'BranchFailed', 'BranchOngoing', 'BranchErrored'] as const;

export const msgMachine = transSetup.createMachine({
  id: 'msg',
  initial: 'idle',
  context: () => createContext({ type: 'TransCreated', at: 0, status: 'prepared', spec: { gid: '', transType: 'msg', protocol: 'http', steps: [], payloads: [], customData: '', queryPrepared: '', options: { waitResult: false, timeoutToFail: 0, requestTimeout: 0, retryInterval: 0, branchHeaders: {}, retryLimit: 0, concurrent: false }, rollbackReason: '' }, limits: { retryInterval: 10, timeoutToFail: 35, requestTimeout: 3, maxRetryInterval: 3600, alertRetryLimit: 3 } }, [], {}),
  states: {
    idle: {
      on: {
        TransCreated: [
          { guard: ({ event }) => event.status === 'submitted', target: 'submitted', actions: update(created) },
          { target: 'prepared', actions: update(created) },
        ],
      },
    },
    prepared: {
      on: {
        TransCreated: { guard: ({ context, event }) => !sameBody(context.spec, event.spec), actions: dup },
        TransSubmitted: [
          { guard: ({ context, event }) => !sameBody(context.spec, event.spec), actions: dup },
          { target: 'submitted', actions: update(submitted) },
        ],
        TransAborted: { target: 'failed' },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: [
          { guard: ({ context, event }) => isQueryDue(context, event.at), actions: stepAction((c, e) => startQueryBack(c, e.at)) },
          { actions: update((c) => schedulePrepared(c)) },
        ],
        BranchSucceeded: { guard: ({ context, event }) => isQueryAnswer(context, event), target: 'submitted', actions: update((c) => settleQuery(c)) },
        BranchFailed: { guard: ({ context, event }) => isQueryAnswer(context, event), target: 'failed', actions: update((c) => settleQuery(c)) },
        BranchOngoing: { guard: ({ context, event }) => isQueryAnswer(context, event), actions: stepAction((c, e) => onQueryRetry(c, e as BranchResultEvent)) },
        BranchErrored: { guard: ({ context, event }) => isQueryAnswer(context, event), actions: stepAction((c, e) => onQueryRetry(c, e as BranchResultEvent)) },
      },
      // An empty query_prepared answered SUCCESS without a call.
      always: [{ guard: ({ context }) => context.sideCall !== undefined && !context.sideCall.inflight && context.queryPrepared === '' && context.sideCall.attempt > 0, target: 'submitted' }],
    },
    submitted: {
      entry: stepAction((c, e) => msgPass(c, e.at)),
      always: [{ guard: ({ context }) => context.branches.every((r) => r.status === 'succeed'), target: 'succeed' }],
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('submitted')) },
        TransSubmitted: [
          { guard: ({ context, event }) => !sameBody(context.spec, event.spec), actions: dup },
          { actions: stepAction((c, e) => msgRepass(c, e.at)) },
        ],
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'submitted')) },
        TransForceStopped: forceStop,
        CronReset: cronReset,
        CronFired: { actions: stepAction((c, e) => msgCronPass(c, e.at)) },
        ...Object.fromEntries(ACTION_RESULTS.map((t) => [t, { actions: stepAction((c, e) => onMsgResult(c, e as BranchResultEvent)) }])),
      },
    },
    succeed: {
      entry: update((c, e) => finishSucceed(c, e.at)),
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('succeed')) },
        TransSubmitted: { actions: rejectWith(() => rejections.submit('succeed')) },
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'succeed')) },
        TransForceStopped: { actions: rejectWith(() => rejections.forceStop('succeed')) },
      },
    },
    failed: {
      entry: update((c, e) => finishFailed(c, e.at)),
      on: {
        TransCreated: { actions: rejectWith(() => rejections.prepare('failed')) },
        TransSubmitted: { actions: rejectWith(() => rejections.submit('failed')) },
        TransAborted: { actions: rejectWith((c) => rejections.abort(c.transType, 'failed')) },
        TransForceStopped: { actions: rejectWith(() => rejections.forceStop('failed')) },
      },
    },
  },
});
