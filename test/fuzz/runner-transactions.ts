import fc from 'fast-check';
import { SETTLING_PATHS } from './fuzz-branch-service.js';
import { acyclicOrders, validHeaders } from './fuzz-fields.js';
import type { Body } from './fuzz-trans-bodies.js';
import type { UrlTargets } from './fuzz-urls.js';

/**
 * Valid transactions that really run against the fuzz branch service and must finish by
 * themselves: every branch settles (possibly after one ONGOING or 500), retries come after 1 s,
 * and the expected final status follows from the paths alone: a saga with a `/fail` action rolls
 * back; everything else succeeds; a prepared msg is decided by its query-back answer.
 */
export type RunnerKind = 'saga' | 'msg' | 'msg-prepare-submit' | 'msg-query-back';

export interface RunnerCase {
  readonly kind: RunnerKind;
  /** gid stem: the property appends a sequence number so that gids never collide. */
  readonly stem: string;
  readonly body: Omit<Body, 'gid'>;
  readonly expected: 'succeed' | 'failed';
  /** Step indexes whose action answers SUCCESS at its first call: called exactly once. */
  readonly onceActions: readonly number[];
}

const ONCE = new Set(['/ok', '/slow', '/huge', '/empty200', '/text200']);
/** gid stems of printable, percent-worthy and non-ASCII characters: the branch must receive them intact. */
const stemArb = fc.oneof(fc.constant('r'), fc.constantFrom('r a', 'r+a', 'r%a', 'r&a=1', 'r#a', 'r?a', 'r/a', 'r\u00e9', 'r\u4e2d', 'r😀', "r'a", 'r"a', 'r\\a'));
const options = fc.record({ wait_result: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), request_timeout: fc.constantFrom(2, 3), branch_headers: validHeaders }, { requiredKeys: [] });

function pathOf(url: string): string {
  return url === '' ? '' : new URL(url).pathname;
}

function sagaCase(t: UrlTargets): fc.Arbitrary<RunnerCase> {
  const url = (p: string) => (p === '' ? '' : `http://127.0.0.1:${t.branchPort}${p}`);
  const action = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SETTLING_PATHS) }, { weight: 1, arbitrary: fc.constant('/fail') }, { weight: 1, arbitrary: fc.constant('') });
  const compensate = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SETTLING_PATHS) }, { weight: 1, arbitrary: fc.constant('') });
  return fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc.record({
      stem: stemArb,
      actions: fc.array(action, { minLength: n, maxLength: n }),
      compensates: fc.array(compensate, { minLength: n, maxLength: n }),
      orders: fc.option(fc.tuple(fc.boolean(), acyclicOrders(n)), { nil: undefined }),
      opts: options,
    }).map(({ stem, actions, compensates, orders, opts }): RunnerCase => ({
      kind: 'saga',
      stem,
      body: {
        trans_type: 'saga',
        steps: actions.map((a, i) => ({ action: url(a), compensate: url(compensates[i]!) })),
        payloads: actions.map((_, i) => `{"step":${i}}`),
        retry_interval: 1,
        ...(orders ? { custom_data: JSON.stringify({ concurrent: orders[0], orders: orders[1] }) } : {}),
        ...opts,
      },
      expected: actions.includes('/fail') ? 'failed' : 'succeed',
      // after a FAILURE, concurrent sagas may or may not have started other actions
      onceActions: actions.includes('/fail') ? [] : actions.flatMap((a, i) => (ONCE.has(a) ? [i] : [])),
    })),
  );
}

function msgCase(t: UrlTargets): fc.Arbitrary<RunnerCase> {
  const url = (p: string) => `http://127.0.0.1:${t.branchPort}${p}`;
  return fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc.record({
      kind: fc.constantFrom<RunnerKind>('msg', 'msg', 'msg-prepare-submit', 'msg-query-back'),
      stem: stemArb,
      actions: fc.array(fc.constantFrom(...SETTLING_PATHS), { minLength: n, maxLength: n }),
      query: fc.constantFrom('/qp-ok', '/qp-fail', '/ongoing-once', '/e500-once'),
      delay: fc.constantFrom(0, 0, 1),
      concurrent: fc.boolean(),
      opts: options,
    }).map(({ kind, stem, actions, query, delay, concurrent, opts }): RunnerCase => ({
      kind,
      stem,
      body: {
        trans_type: 'msg',
        steps: actions.map((a) => ({ action: url(a) })),
        payloads: actions.map((_, i) => `{"msg":${i}}`),
        query_prepared: url(query),
        retry_interval: 1,
        concurrent,
        ...(delay > 0 ? { custom_data: `{"delay":${delay}}` } : {}),
        ...(kind === 'msg-query-back' ? { timeout_to_fail: 1 } : {}),
        ...opts,
        ...(kind === 'msg-query-back' ? { wait_result: false } : {}),
      },
      expected: kind === 'msg-query-back' && query === '/qp-fail' ? 'failed' : 'succeed',
      onceActions: kind === 'msg-query-back' && query === '/qp-fail' ? [] : actions.flatMap((a, i) => (ONCE.has(a) ? [i] : [])),
    })),
  );
}

export function runnerCase(t: UrlTargets): fc.Arbitrary<RunnerCase> {
  return fc.oneof(sagaCase(t), msgCase(t));
}

/** Paths of the step actions of a runner body, for call checks. */
export function actionPaths(body: Omit<Body, 'gid'>): string[] {
  return (body.steps as Array<{ action: string }>).map((s) => pathOf(s.action));
}
