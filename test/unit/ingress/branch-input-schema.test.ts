import { describe, expect, it } from 'vitest';
import { flatStringObject, parseBranchInput } from '../../../src/ingress/schema/branch-input-schema.js';
import { INPUT_BOUNDS } from '../../../src/ingress/schema/input-bounds.js';

/** The registerBranch schema (spec §3.3.5) shared by the three ingresses: every refusal names its field. */
const rules = { grpcUrlProblem: (url: string) => (/^[\w.-]+:\d+\/[\w.]+\/\w+$/.test(url) ? undefined : `'${url}' is not host:port/package.Service/Method`) };
const base = { gid: 'g1', trans_type: 'tcc', branch_id: '0201' };
const parse = (fields: Record<string, unknown>, extra: { payload?: Uint8Array; protocol?: string } = {}) =>
  parseBranchInput({ fields: { ...base, ...fields }, protocol: extra.protocol ?? 'http', ...(extra.payload ? { payload: extra.payload } : {}) }, rules);

describe('registerBranch schema', () => {
  it('builds the registration: data as the base64 payload, the other strings as fields', () => {
    const p = parse({ data: '{"amount":30}', confirm: 'http://b/c', cancel: 'http://b/x', op: 'try' });
    expect(p.gid).toBe('g1');
    expect(p.registration).toEqual({ requestType: 'tcc', branchId: '0201', fields: { confirm: 'http://b/c', cancel: 'http://b/x', op: 'try' }, payload: Buffer.from('{"amount":30}').toString('base64') });
  });

  it('takes bytes as the payload when given (gRPC BusiPayload), and gRPC URLs under the driver rule', () => {
    const p = parse({ confirm: '127.0.0.1:5/busi.Busi/Confirm' }, { payload: new Uint8Array([0xff, 0]), protocol: 'grpc' });
    expect(p.registration.payload).toBe('/wA=');
    expect(() => parse({ confirm: 'not a target' }, { protocol: 'grpc' })).toThrow(/^confirm: /);
  });

  it.each([
    [{ gid: '' }, /^gid is required$/],
    [{ gid: 'a\u0000b' }, /^gid: /],
    [{ trans_type: 'TCC' }, /^trans_type: /],
    [{ branch_id: '' }, /^branch_id is required$/],
    [{ branch_id: 'a'.repeat(INPUT_BOUNDS.branchIdMaxChars + 1) }, /^branch_id: /],
    [{ branch_id: '01?x' }, /^branch_id: /],
    [{ data: 5 }, /^data: expected a string$/],
    [{ data: 'x'.repeat(INPUT_BOUNDS.branchDataMaxBytes + 1) }, /^data: must be at most 1048576 bytes$/],
    [{ url: 'http://b/' + 'x'.repeat(INPUT_BOUNDS.urlMaxChars) }, /^url: must be at most 2048 characters$/],
    [{ cancel: 'javascript:alert(1)' }, /^cancel: scheme 'javascript:'/],
    [{ 'bad name': 'x' }, /^field name "bad name": must be 1-64 characters/],
    // found by the fuzz: an empty name left the message naming nothing (": field names must be ...")
    [{ '': 'x' }, /^field name "": must be 1-64 characters/],
    [{ ['k'.repeat(65)]: 'x' }, new RegExp(`^field name "${'k'.repeat(64)}": must be`)],
    [{ __proto__x: 'x', ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'])) }, /at most 16 fields/],
    // counted before any field is checked: a flood of bad names is one refusal, not thousands of checks
    [Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`bad name ${i}`, 'x'])), /^body: at most 16 fields besides/],
  ])('refuses %j', (fields, message) => {
    expect(() => parse(fields as Record<string, unknown>)).toThrow(message);
  });

  it('a __proto__ key stays a plain field, never a prototype', () => {
    const body = flatStringObject(JSON.parse('{"gid":"g","trans_type":"tcc","branch_id":"01","__proto__":"x"}'), 'body');
    const p = parseBranchInput({ fields: body, protocol: 'http' }, rules);
    expect(Object.getPrototypeOf(p.registration.fields)).toBe(Object.prototype);
    expect(Object.hasOwn(p.registration.fields, '__proto__')).toBe(true);
  });

  it('the HTTP body must be a flat object of strings', () => {
    expect(() => flatStringObject([], 'request body')).toThrow(/request body must be a JSON object of strings/);
    expect(() => flatStringObject({ gid: 'g', nested: { a: 1 } }, 'request body')).toThrow(/^nested: expected a string/);
  });

  it(`a payload of exactly ${INPUT_BOUNDS.branchDataMaxBytes} bytes is accepted`, () => {
    expect(parse({}, { payload: new Uint8Array(INPUT_BOUNDS.branchDataMaxBytes) }).registration.payload.length).toBeGreaterThan(0);
    expect(() => parse({}, { payload: new Uint8Array(INPUT_BOUNDS.branchDataMaxBytes + 1) })).toThrow(/^BusiPayload: /);
  });
});
