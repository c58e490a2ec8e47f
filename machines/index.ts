export type {
  TransStatus, BranchStatus, CallResult, Limits, TransOptions, TransSpec, TransEvent, TransEventType,
  BranchResultEvent, CallBranchParams, AlertParams, RejectParams, Effect,
} from './vocabulary.js';
export { TRANS_EVENT_TYPES, BRANCH_EVENT_OF, EFFECT_TYPES } from './vocabulary.js';
export type { TransContext, BranchRow, SideCall } from './trans-context.js';
export { EMPTY_OPTIONS, withFailureSuffix } from './trans-context.js';
export type { TransTypeDefinition, WaitOutcome } from './trans-type.js';
export { isFinal, isSettled, waitOutcome, dueAtOf, outstandingOf, defaultDueAt } from './trans-type.js';
export { TransTypeRegistry, createBuiltinRegistry, sagaType, msgType } from './registry.js';
export { sagaMachine } from './saga.machine.js';
export { msgMachine } from './msg.machine.js';
export { transSetup, stepAction, update, rejectWith } from './machine-kit.js';
