import fc from 'fast-check';
import { gidArb } from './fuzz-fields.js';
import { pct, printable, queryOf as encodedQueryOf, type FuzzRequest } from './fuzz-requests.js';
import { transBody, type Body } from './fuzz-trans-bodies.js';
import { anyUrl, branchUrl, type UrlTargets } from './fuzz-urls.js';
import { junkValue, nastyString, toJsonText } from './fuzz-values.js';

/**
 * The HTTP routes beside prepare/submit/abort (spec §3.2, §3.3.5, §9; docs/topics.md): topic
 * subscriptions and the KV reads (query strings), `DELETE topic/:name`, `registerBranch` and its
 * two aliases (flat string maps), `prepareWorkflow` (transaction bodies). Topic names and gids come
 * from small pools so that calls meet each other's state: a subscription met again, a branch
 * registered on a prepared tcc/xa transaction (BRANCH_GIDS), a topic deleted while subscribed.
 */

const topicName = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }).map((n) => `fz-topic-${n}`) },
  { weight: 2, arbitrary: fc.constantFrom('', 'a b', 'x'.repeat(128), 'x'.repeat(129), 'é', '../t', 't/u', 't?u', 'dtx:topic:x', 'topics') },
  { weight: 2, arbitrary: nastyString },
);
const text = (pool: fc.Arbitrary<string>) => fc.oneof({ weight: 4, arbitrary: pool }, { weight: 1, arbitrary: nastyString });
const INTS = ['', '0', '1', '-1', '10', '100', '10000', '10001', 'abc', '1.5', ' 1', '9'.repeat(20)] as const;
/** A query string of raw values (percent-encoded here), each parameter mostly given once. */
const queryOf = (params: ReadonlyArray<readonly [string, fc.Arbitrary<string>]>) => encodedQueryOf(params.map(([n, v]) => [n, v.map(pct)] as const), { mostlyOnce: true });

function topicCalls(t: UrlTargets): fc.Arbitrary<{ route: string; method: 'GET' | 'POST'; path: string }> {
  const url = fc.oneof({ weight: 3, arbitrary: branchUrl(t) }, { weight: 2, arbitrary: anyUrl(t) }, { weight: 1, arbitrary: nastyString });
  const get = (route: string, q: fc.Arbitrary<string>) => q.map((s) => ({ route, method: 'GET' as const, path: `/api/dtmsvr/${route}${s}` }));
  return fc.oneof(
    { weight: 4, arbitrary: get('subscribe', queryOf([['topic', topicName], ['url', url], ['remark', text(fc.constantFrom('', 'r'))]])) },
    { weight: 3, arbitrary: get('unsubscribe', queryOf([['topic', topicName], ['url', url]])) },
    { weight: 2, arbitrary: get('scanKV', queryOf([['cat', text(fc.constantFrom('topics', '', 'x'))], ['position', text(fc.constantFrom('', 'fz-topic-1', 'zzz'))], ['limit', fc.constantFrom(...INTS)]])) },
    { weight: 2, arbitrary: get('queryKV', queryOf([['cat', text(fc.constantFrom('topics', ''))], ['key', topicName]])) },
  );
}

/**
 * Gids of the tcc and xa transactions the fuzz prepares before the registerBranch cases
 * (`preparedForBranches`), so that registrations also land on transactions that take them.
 */
export const BRANCH_GIDS = ['fz-tcc-0', 'fz-tcc-1', 'fz-xa-0', 'fz-xa-1'] as const;

/** The prepare bodies of BRANCH_GIDS: empty tcc and xa transactions, finished by the settlement. */
export function preparedForBranches(): Body[] {
  return BRANCH_GIDS.map((gid) => ({ gid, trans_type: gid.startsWith('fz-tcc') ? 'tcc' : 'xa', steps: [], payloads: [] }));
}

/** registerBranch bodies: dtm's map[string]string for tcc/xa/workflow, then at most one hostile key or value. */
function branchBody(t: UrlTargets): fc.Arbitrary<Body> {
  const url = branchUrl(t);
  const base = fc.record({
    gid: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...BRANCH_GIDS) }, { weight: 1, arbitrary: gidArb }),
    trans_type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('tcc', 'xa') }, { weight: 1, arbitrary: fc.constantFrom('workflow', 'saga', 'TCC', '', 'a'.repeat(33)) }),
    branch_id: fc.constantFrom('01', '02', '03', '0101'),
    data: fc.constantFrom('', '{"amount":30}'),
    confirm: url,
    cancel: url,
    url,
  }, { requiredKeys: ['gid', 'trans_type', 'branch_id'] });
  const hostile = fc.oneof(nastyString, junkValue, anyUrl(t));
  const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('gid', 'trans_type', 'branch_id', 'data', 'confirm', 'cancel', 'url', 'op', 'status') }, { weight: 1, arbitrary: nastyString });
  const mutation = fc.option(fc.tuple(key, hostile), { freq: 2 });
  return fc.tuple(base, mutation).map(([b, m]) => (m === null ? b : { ...b, [m[0]]: m[1] }));
}

/** prepareWorkflow bodies: a workflow named in custom_data, or any transaction body. */
function workflowBody(t: UrlTargets): fc.Arbitrary<Body> {
  const fresh = fc.noBias(fc.integer({ min: 0, max: 2 ** 31 - 1 })).map((n) => `wf${n.toString(36)}`);
  const named = fc.record({
    gid: fc.oneof({ weight: 4, arbitrary: fresh }, { weight: 1, arbitrary: gidArb }),
    trans_type: fc.constantFrom('workflow', 'workflow', 'workflow', 'saga'),
    custom_data: fc.oneof({ weight: 4, arbitrary: fc.constant('{"name":"fz-wf","data":""}') }, { weight: 1, arbitrary: fc.constantFrom('{"name":"","data":""}', '{"name":"fz-wf"}', '{}', 'x') }, { weight: 1, arbitrary: nastyString }),
    steps: fc.constant([]),
    payloads: fc.constant([]),
  });
  return fc.oneof({ weight: 3, arbitrary: named }, { weight: 1, arbitrary: transBody(t) });
}

/** The route name of a request whose path matches none: gin's 404 (answer-rules.ts). */
export const NO_ROUTE = 'no route';

const BRANCH_ROUTES = ['registerBranch', 'registerTccBranch', 'registerXaBranch'] as const;

/** One request on the topic, KV, registerBranch or prepareWorkflow routes. */
export function topicAndBranchRequest(t: UrlTargets): fc.Arbitrary<FuzzRequest> {
  const post = (route: string, json: Body): FuzzRequest => ({ route, method: 'POST', path: `/api/dtmsvr/${route}`, body: toJsonText(json), json });
  return fc.oneof(
    { weight: 5, arbitrary: topicCalls(t) },
    // `topic/` with no name matches no route (NO_ROUTE)
    { weight: 1, arbitrary: topicName.map((n) => ({ route: n === '' ? NO_ROUTE : 'deleteTopic', method: 'DELETE' as const, path: `/api/dtmsvr/topic/${pct(n)}` })) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...BRANCH_ROUTES), branchBody(t)).map(([route, json]) => post(route, json)) },
    { weight: 2, arbitrary: workflowBody(t).map((json) => post('prepareWorkflow', json)) },
  ).map(printable);
}
