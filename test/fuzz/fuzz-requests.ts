import fc from 'fast-check';
import { gidBody, transBody, type Body } from './fuzz-trans-bodies.js';
import type { UrlTargets } from './fuzz-urls.js';
import { nastyString, toJsonText } from './fuzz-values.js';

/** One HTTP request of the fuzz, as sent to dtx (path includes the query string). */
export interface FuzzRequest {
  readonly route: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** The JSON body before serialisation, when there is one. */
  readonly json?: Body;
}

/** The request as text for a failure report (path and body cut at 2,000 characters). */
export function describeRequest(req: FuzzRequest): string {
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? JSON.stringify(req.body.slice(0, 2000)) : `bytes ${Buffer.from(req.body).toString('hex').slice(0, 2000)}`;
  const len = req.body === undefined ? 0 : typeof req.body === 'string' ? req.body.length : req.body.byteLength;
  return `request: ${req.method} ${req.path.slice(0, 2000)}${req.path.length > 2000 ? `... (${req.path.length} chars)` : ''}${req.headers ? ` headers ${JSON.stringify(req.headers)}` : ''}\nbody (${len} chars): ${body}`;
}

/** Makes fast-check print a counterexample as `describeRequest` does, not as a 500 KB object dump. */
export function printable(req: FuzzRequest): FuzzRequest {
  return Object.defineProperty(req, fc.toStringMethod, { value: () => describeRequest(req), enumerable: false });
}

const POST_ROUTES = ['prepare', 'submit', 'abort', 'forceStop', 'resetNextCronTime'] as const;

/** prepare/submit/abort with transaction bodies, forceStop/resetNextCronTime with gid bodies. */
export function transRequest(t: UrlTargets): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(fc.constantFrom(...POST_ROUTES), fc.boolean()).chain(([route, stray]) => {
    const bodyArb = route === 'forceStop' || route === 'resetNextCronTime' ? (stray ? transBody(t) : gidBody) : transBody(t);
    return bodyArb.map((json) => printable({ route, method: 'POST', path: `/api/dtmsvr/${route}`, body: toJsonText(json), json }));
  });
}

/** Bytes that are not UTF-8, not JSON, not an object, nested too deep, or too big. */
const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', 'null', '1', '"s"', '[]', '[1,2]', 'true', '{', '}', '{"gid":}', '{"gid":"a",}', "{'gid':'a'}", '{"gid":"a"}{"gid":"b"}', '\ufeff{"gid":"a","trans_type":"saga"}', '{"gid":"a","gid":"b","trans_type":"saga"}', '{"__proto__":{"gid":"x"},"trans_type":"saga"}') },
  { weight: 1, arbitrary: fc.constantFrom(Uint8Array.from([0xed, 0xa0, 0x80]), Uint8Array.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), Uint8Array.from([0xc0, 0x80]), Uint8Array.from([0x1f, 0x8b, 0x08, 0x00])) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 60_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => `{"gid":"deep","trans_type":"saga","steps":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`) },
  { weight: 1, arbitrary: fc.constantFrom(300_000, 1_100_000).map((n) => JSON.stringify({ gid: 'big', trans_type: 'saga', payloads: ['x'.repeat(n)] })) },
  { weight: 1, arbitrary: nastyString },
);

const CONTENT_HEADERS = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  { weight: 2, arbitrary: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=latin1', '*/*').map((v) => ({ 'content-type': v })) },
  { weight: 2, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip', 'GZIP').map((v) => ({ 'content-encoding': v })) },
);

/** POST routes with raw, odd bodies and odd content headers. */
export const rawRequest: fc.Arbitrary<FuzzRequest> = fc.tuple(fc.constantFrom(...POST_ROUTES), rawBody, CONTENT_HEADERS)
  .map(([route, body, headers]) => printable({ route, method: 'POST', path: `/api/dtmsvr/${route}`, body, headers }));

/** Percent-encodes the UTF-8 bytes of `s` (lone surrogates become U+FFFD, as any encoder does). */
export const pct = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const INT_TEXT = ['', '0', '1', '-1', '2', '100', '9999', '10000', '10001', 'abc', '1.5', '1e3', ' 1', '1 ', '0x10', '+1', '-0', '9'.repeat(16), '9'.repeat(20), '9'.repeat(21), '9007199254740993', '8640000000000000', '8640000000000001', '315360000', '315360001'];
const POSITION_TEXT = ['abc', '1', '0', '-1', '01', '9'.repeat(16), '9'.repeat(17), '9007199254740993', 'a'.repeat(64), 'a'.repeat(65), 'a b', '../1', "1' OR '1'='1", '1;DROP'];
const WORD_TEXT = ['submitted', 'succeed', 'failed', 'prepared', 'aborting', 'saga', 'msg', 'x y', 'a'.repeat(32), 'a'.repeat(33), '1abc', "saga' --", '%'];

const paramValue = (pool: readonly string[]) =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pool).map(encodeURIComponent) }, { weight: 1, arbitrary: nastyString.map(pct) }, { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '%E0%A4', '%ED%A0%80', '%00', '+', '&', '=') });

const gidParam = fc.oneof(
  fc.integer({ min: 0, max: 15 }).map((n) => `pool-${n}`),
  fc.constantFrom('', 'unknown-gid', 'a;b', 'x'.repeat(129), 'x'.repeat(1025), '\u001b[2J', 'lone\ud800x', 'a\u202eb'),
  nastyString,
).map(pct);

/**
 * A query string of `names` (values already encoded), each appearing 0-2 times with values from its
 * pool, plus some noise; `mostlyOnce`: each name exactly once in four cases of five, so that calls
 * with every parameter right are common.
 */
export function queryOf(params: ReadonlyArray<readonly [string, fc.Arbitrary<string>]>, opts: { readonly mostlyOnce?: boolean } = {}): fc.Arbitrary<string> {
  const any = ([name, value]: readonly [string, fc.Arbitrary<string>]) =>
    fc.array(fc.tuple(fc.constantFrom(name, name, name, `${name}[]`, name.toUpperCase()), value), { maxLength: 2 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`));
  const once = ([name, value]: readonly [string, fc.Arbitrary<string>]) => value.map((v) => [`${name}=${v}`]);
  const one = opts.mostlyOnce === true ? (p: readonly [string, fc.Arbitrary<string>]) => fc.oneof({ weight: 4, arbitrary: once(p) }, { weight: 1, arbitrary: any(p) }) : any;
  return fc.tuple(...params.map(one), fc.constantFrom('', 'junk', '=x', '&&', 'a=%')).map((parts) => {
    const noise = parts.pop() as string;
    const pairs = (parts as string[][]).flat();
    if (noise !== '') pairs.push(noise);
    return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
  });
}

/** GET query/all/resetCronTime/history/newGid/version with hostile query strings. */
export const queryRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 3, arbitrary: queryOf([['gid', gidParam]]).map((q) => ({ route: 'query', path: `/api/dtmsvr/query${q}` })) },
  { weight: 5, arbitrary: queryOf([['gid', gidParam], ['position', paramValue(POSITION_TEXT)], ['limit', paramValue(INT_TEXT)], ['status', paramValue(WORD_TEXT)], ['transType', paramValue(WORD_TEXT)], ['createTimeStart', paramValue(INT_TEXT)], ['createTimeEnd', paramValue(INT_TEXT)]]).map((q) => ({ route: 'all', path: `/api/dtmsvr/all${q}` })) },
  { weight: 2, arbitrary: queryOf([['timeout', paramValue(INT_TEXT)], ['limit', paramValue(INT_TEXT)]]).map((q) => ({ route: 'resetCronTime', path: `/api/dtmsvr/resetCronTime${q}` })) },
  { weight: 3, arbitrary: queryOf([['gid', gidParam]]).map((q) => ({ route: 'history', path: `/api/dtx/history${q}` })) },
  { weight: 1, arbitrary: fc.constantFrom('newGid', 'version').map((r) => ({ route: r, path: `/api/dtmsvr/${r}?x=${pct('\ud800')}` })) },
).map((r) => printable({ ...r, method: 'GET' }));
