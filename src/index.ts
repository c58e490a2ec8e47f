/**
 * dtx's public API (package entry `dtx`). Explicit named exports only (STYLE L18): what is not
 * listed here is internal and may change between minor versions.
 *
 * - Running dtx in-process: `resolveConfig` → `createRootLogger` → `startDtx`.
 * - Custom transaction types (docs/custom-types.md): the shared vocabulary (events, effects,
 *   context), the machine kit the built-in types are written with, and `registerTransType`.
 * - Microservice drivers (docs/drivers.md): `registerDriver` and the `Driver` contract.
 */

// Running dtx
export { startDtx, DTX_VERSION } from './main.js';
export type { RunningDtx } from './main.js';
export { resolveConfig, ConfigError, CONFIG_DEFAULTS } from './config/index.js';
export type { ResolvedConfig, ResolveConfigInput, ResolvedConfigResult, DeepPartial } from './config/index.js';
export { createRootLogger } from './observability/logger.js';
export type { LoggerOptions } from './observability/logger.js';

// Microservice drivers (docs/drivers.md)
export { registerDriver, useDriver, currentDriver, registeredDriverNames } from './drivers/driver-registry.js';
export { DriverError, DriverEndpointError, DriverTargetError, DriverUnavailable } from './drivers/driver.js';
export type { Driver, ServerMethod } from './drivers/driver.js';
export { splitAtFirstSlash, splitSchemeUrl, parseSchemeUrl } from './drivers/server-method.js';
export type { SchemeUrl } from './drivers/server-method.js';

// Registering and checking custom types
export { registerTransType, registeredTransTypes, defaultRegistry } from './extensions/default-registry.js';
export { buildRegistry } from './extensions/trans-type-loader.js';
export { TransTypeRefused, checkTransType, checkVocabulary, checkSourcePurity, RESERVED_TYPE_NAMES, STATE_NAMES } from './extensions/trans-type-checks.js';
export { probeDeterminism } from './extensions/determinism-probe.js';
export { TransTypeRegistry, createBuiltinRegistry, sagaType, msgType, tccType, xaType, workflowType } from '../machines/index.js';

// The vocabulary: events in, effects out, the context every type folds
export type {
  TransTypeDefinition, WaitOutcome, TransContext, BranchRow, SideCall, TransEvent, TransEventType, BranchResultEvent,
  Effect, CallBranchParams, AlertParams, RejectParams, TransSpec, TransOptions, Limits, TransStatus, BranchStatus, CallResult,
  BranchRegistration, PayloadWrapper,
} from '../machines/index.js';
export { TRANS_EVENT_TYPES, BRANCH_EVENT_OF, EFFECT_TYPES, PAYLOAD_WRAPPERS, EMPTY_OPTIONS, EMPTY_LIMITS, EMPTY_CONTEXT } from '../machines/index.js';

// The machine kit
export type { Step, TouchKind, TwoPhaseRules, WorkflowExt } from '../machines/index.js';
export {
  transSetup, stepAction, update, rejectWith, atOf,
  newRow, withRow, startCall, callParams, rowForResult, isStaleResult, settleRow, unblockAll, outstandingCalls, hasInflight,
  touch, lease, resetInterval, alertAfterBackoff, timeoutDeadline,
  createContext, finishSucceed, finishFailed, sameBody, rejections, rejectEffect, withFailureSuffix,
  isFinal, isSettled, defaultDueAt, dueAtOf, outstandingOf, waitOutcome,
  BRANCH_RESULT_EVENTS, cronReset, duplicateGid, finishedState, forceStop, idleState, otherBodyRejected,
  createTwoPhaseMachine, registerRefused, twoPhaseDueAt, TCC_RULES, XA_RULES,
  workflowMachine, parseWorkflowExt, workflowCustomDataProblem,
} from '../machines/index.js';
