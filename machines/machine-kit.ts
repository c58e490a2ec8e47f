import { setup } from 'xstate';
import type { AlertParams, CallBranchParams, RejectParams, TransEvent } from './vocabulary.js';
import type { TransContext } from './trans-context.js';
import type { Step } from './branch-calls.js';

/**
 * The XState setup shared by the built-in machines: effects are declared as named actions with
 * no-op bodies (the engine runs xstate's pure `transition` and performs the returned action
 * objects itself, after the events are durable).
 */
export const transSetup = setup({
  types: {
    context: {} as TransContext,
    events: {} as TransEvent,
  },
  actions: {
    callBranch: (_: unknown, _params: CallBranchParams) => {},
    notify: (_: unknown, _params: AlertParams) => {},
    reject: (_: unknown, _params: RejectParams) => {},
  },
});

type StepFn = (ctx: TransContext, event: TransEvent) => Step;

/**
 * The step function behind a `stepAction`, for the flat fold (src/engine/flat-machine.ts): it
 * calls the function itself and does what the wrapper's callback does, without XState's enqueue
 * machinery (an argument object, a queue and an assign action per event).
 */
export const STEP_FUNCTION: unique symbol = Symbol('dtx.stepFunction');

/** Wraps a pure step function: assign its context (if changed), then enqueue its effects. */
export function stepAction(fn: StepFn) {
  const action = transSetup.enqueueActions(({ context, event, enqueue }) => {
    const s = fn(context, event);
    if (s.ctx !== context) enqueue.assign(() => s.ctx);
    for (const effect of s.effects) enqueue(effect as never);
  });
  return Object.assign(action, { [STEP_FUNCTION]: fn }) as typeof action; // the marker stays out of the machines' types
}

/** A context update with no effects. */
export function update(fn: (ctx: TransContext, event: TransEvent) => TransContext) {
  return stepAction((ctx, e) => ({ ctx: fn(ctx, e), effects: [] }));
}

export function rejectWith(fn: (ctx: TransContext, event: TransEvent) => RejectParams) {
  return { type: 'reject' as const, params: ({ context, event }: { context: TransContext; event: TransEvent }) => fn(context, event) };
}

export function atOf(e: TransEvent): number {
  return e.at;
}
