import fc from 'fast-check';
import { edgeNumber, junkValue, longString, nastyString, randomCase, RawToken, toJsonText } from './fuzz-values.js';

/** Generators of single transaction fields: gids, branch_headers, custom_data (spec §2.1, §2.5). */

/** Gids: fresh ones, a small pool that collides on purpose, odd Unicode, and junk. */
export const gidArb: fc.Arbitrary<unknown> = fc.oneof(
  // unbiased: fast-check's bias towards small integers would make 'fresh' gids collide
  { weight: 8, arbitrary: fc.noBias(fc.integer({ min: 0, max: 2 ** 31 - 1 })).map((n) => `g${n.toString(36)}`) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }).map((n) => `pool-${n}`) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => `u-${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('a b', 'a;b', 'a\nb', 'a\r\nb', 'x%20y', 'a&op=x', '../..', '__proto__', 'é', '😀'.repeat(128), 'k'.repeat(128)) },
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.oneof(edgeNumber, fc.constantFrom(null, true, [], {}, '')) },
);

/** Header names dtx must refuse or may forward; values with and without header injection. */
const HEADER_NAMES = [
  'x-trace', 'X-Tenant', 'user-agent', 'content-type', 'accept', 'authorization', 'cookie', 'host', 'Host', 'connection', 'keep-alive',
  'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'expect', 'proxy-authorization', 'grpc-timeout', 'Grpc-Status', 'http2-settings',
  'bad name', '', 'x\u00e9', 'a:b', 'x\r\ny', '(x)', '__proto__', 'constructor', 'x'.repeat(128), 'x'.repeat(129),
] as const;
const HEADER_VALUES = ['v', '', ' padded ', 'caf\u00e9', '\u00ff', '😀', 'a\r\nInjected: 1', 'a\nb', 'a\u0000b', '\t', 'x'.repeat(4096), 'x'.repeat(4097)] as const;

export const headerName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HEADER_NAMES) }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: fc.constantFrom('x-a', 'host').chain(randomCase) });
export const headerValue: fc.Arbitrary<unknown> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HEADER_VALUES) }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: junkValue });

/** Headers dtx accepts (token names, header-safe values, none refused). */
export const validHeaders = fc.dictionary(fc.constantFrom('x-trace', 'X-Tenant', 'x-a', 'accept', 'user-agent'), fc.constantFrom('v', '1', 'caf\u00e9', ''), { maxKeys: 3 });

/** Headers of any shape, including more than 32 entries. */
export const anyHeaders: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(headerName, headerValue, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 30, max: 40 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']))) },
  { weight: 1, arbitrary: junkValue },
);

/** An acyclic saga `orders` for `n` steps: step k waits for some of 0..k-1. */
export function acyclicOrders(n: number): fc.Arbitrary<Record<string, number[]>> {
  const all = Array.from({ length: n }, (_, k) => fc.subarray(Array.from({ length: k }, (_, j) => j)));
  return fc.tuple(...all).map((deps) => Object.fromEntries(deps.flatMap((d, k) => (d.length > 0 ? [[String(k), d]] : []))));
}

/** Valid custom_data text for a saga of `n` steps or a msg. */
export function validCustomData(type: string, n: number): fc.Arbitrary<string | undefined> {
  if (type === 'msg') return fc.option(fc.integer({ min: 0, max: 2 }).map((d) => `{"delay":${d}}`), { nil: undefined });
  return fc.option(fc.tuple(fc.boolean(), acyclicOrders(Math.max(n, 1))).map(([c, orders]) => JSON.stringify({ concurrent: c, orders })), { nil: undefined });
}

/** Orders with cycles, self-references, out-of-range and non-integer indexes, junk keys. */
const badOrders: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>({ 0: [1], 1: [0] }, { 0: [0] }, { 0: [1], 1: [2], 2: [0] }, { 5: [0] }, { 0: [5] }, { 0: [-1] }, { '-1': [0] }, { 1.5: [0] }, { '01': [0] }, { 0: [0.5] }, { 0: ['1'] }, { 0: 1 }, [], 'x', { ['9'.repeat(7)]: [0] }),
  fc.dictionary(fc.oneof(fc.nat(6).map(String), nastyString), fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), edgeNumber), { maxLength: 4 }), junkValue), { maxKeys: 5 }),
);

/** custom_data of any shape: valid, out of bounds, not JSON, not an object, oversize. */
export const anyCustomData: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(randomCase('delay'), edgeNumber).map(([k, d]) => toJsonText({ [k]: d })) },
  { weight: 3, arbitrary: fc.tuple(fc.oneof(fc.boolean(), junkValue), badOrders).map(([c, o]) => toJsonText({ concurrent: c, orders: o })) },
  { weight: 1, arbitrary: fc.constant(toJsonText({ delay: new RawToken('1e300') })) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '"x"', '1', '{}', '{"delay":"10"}', '{"Delay":1,"delay":2}', '{"concurrent":"yes"}', '{"orders":null}') },
  { weight: 1, arbitrary: longString.map((s) => JSON.stringify({ pad: s })) },
  { weight: 1, arbitrary: fc.oneof(junkValue, nastyString) },
);
