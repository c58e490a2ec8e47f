import fc from 'fast-check';
import type { CallBranchParams, CallResult, TransEvent, TransSpec } from '../../../machines/index.js';
import { LIMITS, makeSpec, msgSteps, sagaSteps } from '../machines/builders.js';
import { custom, RESUME } from '../machines/workflow-builders.js';

/**
 * Generated scenarios for the flat fold's equivalence property (flat-machine.test.ts): a type dtx
 * ships, a spec of its shape and a sequence of moves, each turned into the event an engine or a
 * client could send at that point (answers to the calls in flight, stale ones included, crons,
 * force stops, submits, aborts, registrations and stray results).
 */

export const TYPES = ['saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum'] as const;
export type TypeName = (typeof TYPES)[number];

export interface Scenario {
  readonly type: TypeName;
  readonly steps: number;
  readonly emptyUrl: readonly boolean[];
  readonly submitted: boolean;
  readonly customKind: number;
  readonly retryLimit: number;
  readonly timeoutToFail: number;
  readonly concurrent: boolean;
  /** fold every event (replay) rather than keep the snapshot on a reject (engine) */
  readonly replay: boolean;
  readonly moves: readonly Move[];
}

type Move =
  | { readonly kind: 'answer'; readonly dt: number; readonly pick: number; readonly outcome: CallResult; readonly stale: boolean }
  | { readonly kind: 'cron' | 'forceStop' | 'cronReset' | 'createAgain'; readonly dt: number }
  | { readonly kind: 'submit'; readonly dt: number; readonly variant: number }
  | { readonly kind: 'abort'; readonly dt: number; readonly requestType: string; readonly reason: string }
  | { readonly kind: 'register'; readonly dt: number; readonly branch: number; readonly requestType: string; readonly variant: number }
  | { readonly kind: 'stray'; readonly dt: number; readonly branch: number; readonly op: string; readonly attempt: number; readonly outcome: CallResult };

const outcomeArb = fc.constantFrom<CallResult>('SUCCESS', 'FAILURE', 'ONGOING', 'ERROR');
const typeNameArb = fc.constantFrom('saga', 'msg', 'tcc', 'xa', 'workflow', 'quorum', 'other');
const moveArb: fc.Arbitrary<Move> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('answer' as const), dt: fc.integer({ min: 0, max: 5 }), pick: fc.nat(), outcome: outcomeArb, stale: fc.integer({ min: 0, max: 7 }).map((x) => x === 0) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('cron' as const), dt: fc.integer({ min: 0, max: 90 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('forceStop' as const, 'cronReset' as const, 'createAgain' as const), dt: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('submit' as const), dt: fc.integer({ min: 0, max: 10 }), variant: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), dt: fc.integer({ min: 0, max: 10 }), requestType: typeNameArb, reason: fc.constantFrom('', 'no stock') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('register' as const), dt: fc.integer({ min: 0, max: 5 }), branch: fc.integer({ min: 0, max: 4 }), requestType: typeNameArb, variant: fc.integer({ min: 0, max: 5 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('stray' as const), dt: fc.integer({ min: 0, max: 5 }), branch: fc.integer({ min: 0, max: 4 }), op: fc.constantFrom('action', 'compensate', 'confirm', 'cancel', 'commit', 'rollback', 'transfer'), attempt: fc.integer({ min: 0, max: 3 }), outcome: outcomeArb }),
  },
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 4 }).chain((steps) =>
  fc.record({
    type: fc.constantFrom<TypeName>(...TYPES),
    steps: fc.constant(steps),
    emptyUrl: fc.array(fc.integer({ min: 0, max: 5 }).map((x) => x === 0), { minLength: steps, maxLength: steps }),
    submitted: fc.boolean(),
    customKind: fc.integer({ min: 0, max: 3 }),
    retryLimit: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
    timeoutToFail: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
    concurrent: fc.boolean(),
    replay: fc.boolean(),
    moves: fc.array(moveArb, { maxLength: 40 }),
  }),
);

const idOf = (i: number) => String(i + 1).padStart(2, '0');

export function specOf(sc: Scenario): TransSpec {
  const steps = (sc.type === 'msg' ? msgSteps(sc.steps) : sagaSteps(sc.steps)).map((s, k) => (sc.emptyUrl[k] ? Object.fromEntries(Object.keys(s).map((key) => [key, ''])) : s));
  const options = { retryLimit: sc.retryLimit, timeoutToFail: sc.timeoutToFail, concurrent: sc.type === 'msg' && sc.concurrent };
  switch (sc.type) {
    case 'saga':
      return makeSpec({ steps, options, customData: [undefined, { concurrent: true }, { orders: { 1: [0] } }, { concurrent: true, orders: { 1: [0] } }][sc.customKind] });
    case 'msg':
      return makeSpec({ transType: 'msg', steps, options, queryPrepared: sc.customKind > 1 ? 'http://busi.test/api/query' : '' });
    case 'quorum':
      return makeSpec({ transType: 'quorum', steps, options, customData: sc.customKind === 0 ? '' : { quorum: Math.min(sc.steps, sc.customKind) } });
    case 'workflow':
      return makeSpec({ transType: 'workflow', steps: [], payloads: [], options, customData: custom(), queryPrepared: RESUME });
    default:
      return makeSpec({ transType: sc.type, steps: [], payloads: [], options });
  }
}

export function eventOf(sc: Scenario, spec: TransSpec, m: Move, at: number, calls: readonly CallBranchParams[]): TransEvent {
  switch (m.kind) {
    case 'answer': {
      const c = calls[m.pick % Math.max(1, calls.length)];
      if (c === undefined) return { type: 'CronFired', at };
      const type = ({ SUCCESS: 'BranchSucceeded', FAILURE: 'BranchFailed', ONGOING: 'BranchOngoing', ERROR: 'BranchErrored' } as const)[m.outcome];
      return { type, at, branchId: c.branchId, op: c.op, attempt: m.stale ? c.attempt - 1 : c.attempt, ...(m.outcome === 'SUCCESS' ? {} : { message: `${m.outcome} of ${c.branchId}` }) };
    }
    case 'cron':
      return { type: 'CronFired', at };
    case 'forceStop':
      return { type: 'TransForceStopped', at };
    case 'cronReset':
      return { type: 'CronReset', at };
    case 'createAgain':
      return { type: 'TransCreated', at, status: 'submitted', spec, limits: LIMITS };
    case 'submit': {
      if (sc.type === 'workflow' && m.variant > 0) {
        const reqExtra: Record<string, string> = m.variant === 1 ? { status: 'succeed', result: 'ok' } : m.variant === 2 ? { status: 'failed', rollback_reason: 'why' } : { status: 'bogus' };
        return { type: 'TransSubmitted', at, spec: { ...makeSpec({ transType: 'workflow', steps: [], payloads: [], customData: '', queryPrepared: '' }), reqExtra } };
      }
      if (m.variant === 0) return { type: 'TransSubmitted', at };
      if (m.variant === 1) return { type: 'TransSubmitted', at, spec: { ...spec, steps: [...spec.steps, { action: 'http://busi.test/api/extra' }] } };
      return { type: 'TransSubmitted', at, spec };
    }
    case 'abort':
      return { type: 'TransAborted', at, requestType: m.requestType, reason: m.reason };
    case 'register': {
      const url = m.variant === 0 ? '' : `http://busi.test/r${idOf(m.branch)}`;
      const requestType = m.variant === 5 ? m.requestType : sc.type;
      const fields: Record<string, string> =
        sc.type === 'tcc' ? { confirm: url && `${url}/confirm`, cancel: url && `${url}/cancel` } : sc.type === 'workflow' ? { op: ['action', 'compensate', 'transfer', ''][m.variant % 4]!, status: ['succeed', 'failed', 'succeed', 'bogus'][m.variant % 4]! } : { url };
      return { type: 'BranchRegistered', at, requestType, branchId: idOf(m.branch), fields, payload: m.variant === 3 ? Buffer.from('{"x":1}').toString('base64') : '' };
    }
    case 'stray': {
      const type = ({ SUCCESS: 'BranchSucceeded', FAILURE: 'BranchFailed', ONGOING: 'BranchOngoing', ERROR: 'BranchErrored' } as const)[m.outcome];
      return { type, at, branchId: m.branch === 4 ? '00' : idOf(m.branch), op: m.op, attempt: m.attempt };
    }
  }
}
