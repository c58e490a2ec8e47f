import fc from 'fast-check';
import { anyCustomData, anyHeaders, gidArb, validCustomData, validHeaders } from './fuzz-fields.js';
import { anyUrl, branchUrl, type UrlTargets } from './fuzz-urls.js';
import { edgeNumber, junkValue, longString, nastyString, randomCase } from './fuzz-values.js';

/**
 * Transaction bodies for prepare/submit/abort (spec §2.1): a well-formed saga or msg, then zero or
 * more mutations that put a hostile value in one place (a field in random case, a step URL, a
 * header, custom_data) or drop a key. Bodies stay JS objects until the request is built.
 */
export type Body = Record<string, unknown>;

/** Every key of the request schema, as dtm spells them. */
export const TRANS_FIELDS = [
  'gid', 'trans_type', 'steps', 'payloads', 'custom_data', 'query_prepared', 'protocol', 'wait_result', 'timeout_to_fail', 'request_timeout',
  'retry_interval', 'retry_limit', 'retry_count', 'branch_headers', 'concurrent', 'rollback_reason',
] as const;

const TYPES = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('saga', 'msg') },
  { weight: 1, arbitrary: fc.constantFrom('tcc', 'xa', 'workflow', 'banana', 'SAGA', 'Saga', 'saga ', '', 'a'.repeat(33)) },
);

const payloadArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('{"amount":30}', '', '{}') },
  { weight: 1, arbitrary: nastyString },
);

/** A well-formed saga or msg over the given URLs (which may themselves be hostile). */
export function wellFormedTrans(url: fc.Arbitrary<string>): fc.Arbitrary<Body> {
  return fc.tuple(TYPES, fc.integer({ min: 0, max: 5 })).chain(([type, n]) =>
    fc.record(
      {
        gid: gidArb,
        trans_type: fc.constant(type),
        steps: fc.array(type === 'msg' ? fc.record({ action: url }) : fc.record({ action: url, compensate: url }), { minLength: n, maxLength: n }),
        payloads: fc.array(payloadArb, { minLength: n, maxLength: n }),
        custom_data: validCustomData(type, n),
        query_prepared: url,
        protocol: fc.constantFrom('', 'http', 'http', 'json-rpc', 'grpc'),
        // a wait_result submit holds the request for its pass (up to a hanging branch): kept rare for speed
        wait_result: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        timeout_to_fail: fc.constantFrom(0, 1, 2, 5, 35, 31_536_000),
        request_timeout: fc.constantFrom(0, 1, 2, 3, 86_400),
        // 1-2 s retries of a branch that answers ONGOING forever load dtx: present, but not the rule
        retry_interval: fc.constantFrom(0, 0, 0, 1, 2, 10, 10, 86_400),
        retry_limit: fc.integer({ min: 0, max: 3 }),
        branch_headers: validHeaders,
        concurrent: fc.boolean(),
        rollback_reason: fc.constantFrom('', 'because'),
      },
      { requiredKeys: ['gid', 'trans_type', 'steps', 'payloads'] },
    ),
  );
}

/** One hostile change to a body. */
type Mutation =
  | { readonly op: 'set'; readonly key: string; readonly value: unknown }
  | { readonly op: 'delete'; readonly field: string }
  | { readonly op: 'step'; readonly index: number; readonly key: string; readonly value: unknown }
  | { readonly op: 'header'; readonly value: unknown };

const wrongType: fc.Arbitrary<unknown> = fc.oneof(edgeNumber, nastyString, junkValue, fc.constantFrom(null, true, false, [], {}, '', '10', [1], { a: 1 }));

function mutationArb(t: UrlTargets): fc.Arbitrary<Mutation> {
  const field = fc.constantFrom(...TRANS_FIELDS);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key: field.chain(randomCase), value: wrongType }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constantFrom('timeout_to_fail', 'request_timeout', 'retry_interval', 'retry_limit', 'retry_count'), value: edgeNumber }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constant('custom_data'), value: anyCustomData }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constant('branch_headers'), value: anyHeaders }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constant('query_prepared'), value: anyUrl(t) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constant('steps'), value: fc.oneof(fc.array(junkValue, { maxLength: 3 }), fc.integer({ min: 1001, max: 1003 }).map((n) => Array.from({ length: n }, () => ({ action: '' })))) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.constant('payloads'), value: fc.oneof(fc.array(wrongType, { maxLength: 3 }), fc.constant([longString])) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('set' as const), key: nastyString, value: wrongType }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), field }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('step' as const), index: fc.nat(5), key: fc.constantFrom('action', 'compensate', 'data', 'other', 'Action'), value: fc.oneof(anyUrl(t), wrongType) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('step' as const), index: fc.nat(5), key: nastyString, value: fc.constant('') }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('header' as const), value: anyHeaders }) },
  );
}

function applyMutation(body: Body, m: Mutation): Body {
  const out: Body = { ...body };
  if (m.op === 'set') Object.defineProperty(out, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  else if (m.op === 'delete') delete out[m.field];
  else if (m.op === 'header') out.branch_headers = m.value;
  else {
    const steps = Array.isArray(out.steps) ? [...(out.steps as unknown[])] : [];
    if (steps.length === 0) steps.push({});
    const i = m.index % steps.length;
    const step = steps[i] !== null && typeof steps[i] === 'object' ? { ...(steps[i] as object) } : {};
    Object.defineProperty(step, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    steps[i] = step;
    out.steps = steps;
  }
  return out;
}

/** Bodies for prepare/submit/abort: well-formed, mostly over loopback branch URLs, then mutated. */
export function transBody(t: UrlTargets): fc.Arbitrary<Body> {
  const url = fc.oneof({ weight: 4, arbitrary: branchUrl(t) }, { weight: 1, arbitrary: anyUrl(t) });
  const mutations = fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(mutationArb(t), { minLength: 1, maxLength: 3 }) });
  return fc.tuple(wellFormedTrans(url), mutations)
    .map(([body, mutations]) => mutations.reduce(applyMutation, body));
}

/** Bodies for forceStop/resetNextCronTime: only `gid` matters; the rest is noise. */
export const gidBody: fc.Arbitrary<Body> = fc.tuple(fc.constantFrom('gid', 'GID', 'Gid', 'gId'), gidArb, fc.dictionary(nastyString, junkValue, { maxKeys: 2 }))
  .map(([k, gid, noise]) => ({ ...noise, [k]: gid }));

/** The gid dtx stores for an accepted body (Go's case-insensitive keys, `\n\r;` removed). */
export function storedGid(body: Body): string | undefined {
  const key = 'gid' in body ? 'gid' : Object.keys(body).find((k) => k.toLowerCase() === 'gid');
  const gid = key === undefined ? undefined : body[key];
  return typeof gid === 'string' ? gid.replace(/[\n\r;]/g, '') : undefined;
}

/** A field of the body as dtx reads it (exact spelling wins, else the first case-insensitive match). */
export function fieldOf(body: Body, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(body, name)) return body[name];
  const key = Object.keys(body).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : body[key];
}
