export type {
  TransStatus, BranchStatus, CallResult, Limits, TransOptions, TransSpec, TransEvent, TransEventType,
  BranchResultEvent, BranchRegistration, CallBranchParams, AlertParams, RejectParams, Effect, PayloadWrapper,
} from './vocabulary.js';
export { TRANS_EVENT_TYPES, BRANCH_EVENT_OF, BRANCH_URL_FIELDS, EFFECT_TYPES, PAYLOAD_WRAPPERS } from './vocabulary.js';
export type { TransContext, BranchRow, SideCall } from './trans-context.js';
export { EMPTY_OPTIONS, EMPTY_LIMITS, EMPTY_CONTEXT, withFailureSuffix, withRow, newRow } from './trans-context.js';
export type { TransTypeDefinition, WaitOutcome } from './trans-type.js';
export { isFinal, isSettled, waitOutcome, dueAtOf, outstandingOf, defaultDueAt, FINAL_STATUSES } from './trans-type.js';
export { TransTypeRegistry, createBuiltinRegistry, sagaType, msgType, tccType, xaType, workflowType } from './registry.js';
export { sagaMachine } from './saga.machine.js';
export { msgMachine } from './msg.machine.js';
export { tccMachine, TCC_RULES } from './tcc.machine.js';
export { xaMachine, XA_RULES } from './xa.machine.js';
export { workflowMachine } from './workflow.machine.js';
export type { WorkflowExt } from './workflow-steps.js';
export { RESUME_BRANCH_ID, PROGRESS_STATUSES, parseWorkflowExt } from './workflow-steps.js';
export { createTwoPhaseMachine, registerRefused } from './two-phase-machine.js';
export type { TwoPhaseRules } from './two-phase-steps.js';
export { twoPhaseDueAt, effectiveTimeout, preparedDeadline } from './two-phase-steps.js';
export { transSetup, stepAction, update, rejectWith, atOf, STEP_FUNCTION } from './machine-kit.js';
export type { Step } from './branch-calls.js';
export {
  callParams, startCall, rowForResult, isStaleResult, settleRow, unblockAll, outstandingCalls, hasInflight,
} from './branch-calls.js';
export type { TouchKind } from './schedule.js';
export { resetInterval, touch, lease, alertAfterBackoff, timeoutDeadline } from './schedule.js';
export { createContext, finishSucceed, finishFailed, sameBody, rejections, rejectEffect } from './trans-lifecycle.js';
export { BRANCH_RESULT_EVENTS, cronReset, duplicateGid, finishedState, forceStop, idleState, otherBodyRejected } from './common-states.js';
export { MSG_DELAY_MAX_SECONDS, WORKFLOW_NAME_MAX_CHARS, msgCustomDataProblem, sagaCustomDataProblem, workflowCustomDataProblem } from './custom-data-rules.js';
export { MSG_TOPIC_PREFIX, msgTopicNames } from './msg-steps.js';
