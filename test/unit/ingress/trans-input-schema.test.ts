import { describe, expect, it } from 'vitest';
import { createTransParser, workflowSubmitProblem } from '../../../src/ingress/schema/trans-input-schema.js';
import { DefaultDriver } from '../../../src/drivers/default-driver.js';
import { gidProblem } from '../../../src/ingress/schema/gid-schema.js';
import { INPUT_BOUNDS } from '../../../src/ingress/schema/input-bounds.js';
import { BadRequest } from '../../../src/errors.js';

/** The one request schema: every bound is a BadRequest naming the field (hardening issue). */
const driver = new DefaultDriver();
const grpcUrlProblem = (url: string): string | undefined => {
  try {
    driver.parseServerMethod(url);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};
const parser = createTransParser({ grpcUrlProblem, forwardCredentials: true });
const base = { gid: 'g-1', trans_type: 'saga', steps: [{ action: 'http://a.example/x', compensate: '' }], payloads: ['{}'] };
const problem = (patch: Record<string, unknown>): string => {
  try {
    parser.parseTrans({ ...base, ...patch });
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequest);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(patch)}`);
};

describe('trans input schema', () => {
  it('builds the TransSpec of a valid request (payloads as text or bytes, legacy steps[].data)', () => {
    const spec = parser.parseTrans({ ...base, payloads: [new Uint8Array([0xff, 0x00])], steps: [{ action: '', compensate: '', data: 'x' }], retry_interval: 5 });
    expect(spec.payloads).toEqual([Buffer.from([0xff, 0x00]).toString('base64'), Buffer.from('x').toString('base64')]);
    expect(spec.steps).toEqual([{ action: '', compensate: '' }]);
    expect(spec.options.retryInterval).toBe(5);
    expect(spec.protocol).toBe('http');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['missing gid', { gid: undefined }, 'gid is required'],
    ['lone surrogate in gid', { gid: 'lone\ud800x' }, 'gid: must be 1-128 characters of valid Unicode without control or format characters'],
    ['ESC in gid', { gid: 'a\u001b[31mred' }, 'gid: must be 1-128'],
    ['bidi override in gid', { gid: 'a\u202eb' }, 'gid: must be 1-128'],
    ['zero-width space in gid (prints like ord1)', { gid: 'ord\u200b1' }, 'gid: must be 1-128'],
    ['soft hyphen in gid', { gid: 'ord\u00ad1' }, 'gid: must be 1-128'],
    ['right-to-left mark in gid', { gid: 'ord\u200f1' }, 'gid: must be 1-128'],
    ['gid too long', { gid: 'x'.repeat(129) }, 'gid: must be 1-128'],
    ['reserved gid prefix (topic keys)', { gid: 'dtx:topic:t' }, "gid: must not start with 'dtx:' (reserved for dtx's own records)"],
    ['topic step in a saga', { steps: [{ action: 'topic://t', compensate: '' }] }, "steps.0.action: scheme 'topic:' cannot be called"],
    ['bad topic name in a msg', { trans_type: 'msg', steps: [{ action: 'topic://a/b' }] }, 'steps.0.action: topic name must be 1-128 letters'],
    ['trans_type shape', { trans_type: 'Saga!' }, 'trans_type: must be a transaction type name'],
    ['retry_interval past the bound', { retry_interval: 8_640_000_000_000 }, `retry_interval: must be an integer 0..${INPUT_BOUNDS.retryIntervalMaxSeconds} (seconds)`],
    ['timeout_to_fail = MAX_SAFE_INTEGER', { timeout_to_fail: Number.MAX_SAFE_INTEGER }, 'timeout_to_fail: must be an integer 0..31536000 (seconds)'],
    ['request_timeout that overflows a timer', { request_timeout: 2_147_484 }, 'request_timeout: must be an integer 0..86400 (seconds)'],
    ['fractional retry_limit', { retry_limit: 1.5 }, 'retry_limit: must be an integer 0..1000'],
    ['file: URL', { steps: [{ action: 'file:///etc/passwd', compensate: '' }] }, "steps.0.action: scheme 'file:' cannot be called: use http:// or https://"],
    ['javascript: URL', { steps: [{ action: 'javascript:alert(1)', compensate: '' }] }, "steps.0.action: scheme 'javascript:' cannot be called"],
    ['gopher: URL', { steps: [{ action: '', compensate: 'gopher://x:70/' }] }, "steps.0.compensate: scheme 'gopher:' cannot be called"],
    ['relative URL', { steps: [{ action: '/busi/TransOut', compensate: '' }] }, "steps.0.action: '/busi/TransOut' is not an absolute URL"],
    ['credentials in URL', { steps: [{ action: 'http://u:p@a.example/x', compensate: '' }] }, 'steps.0.action: must not carry credentials'],
    ['CRLF in URL', { steps: [{ action: 'http://a.example/x\r\nHost: y', compensate: '' }] }, 'steps.0.action: must not contain blanks'],
    ['gRPC URL without method', { protocol: 'grpc', steps: [{ action: 'localhost:5000', compensate: '' }] }, "steps.0.action: bad url: 'localhost:5000'. no '/' found"],
    ['custom scheme without a driver', { protocol: 'grpc', steps: [{ action: 'etcd://h:2379/svc/pkg.S/M', compensate: '' }] }, 'call dtmdriver.Use() before you use custom scheme'],
    ['query_prepared', { query_prepared: 'ftp://x/' }, "query_prepared: scheme 'ftp:' cannot be called"],
    ['host header', { branch_headers: { host: 'x' } }, "branch_headers.host: header 'host' is set by dtx itself"],
    ['too many headers', { branch_headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`x-${i}`, 'v'])) }, 'branch_headers: at most 32 headers'],
    ['gRPC: a header name metadata cannot carry', { protocol: 'grpc', steps: [{ action: 'h:1/p.S/M', compensate: '' }], branch_headers: { 'x*y': 'v' } }, "branch_headers.x*y: gRPC metadata names are letters, digits, '_', '.' and '-' only"],
    ['gRPC: a non-ASCII value', { protocol: 'grpc', steps: [{ action: 'h:1/p.S/M', compensate: '' }], branch_headers: { 'x-a': 'café' } }, 'branch_headers.x-a: gRPC metadata values are printable ASCII (or the name ends in -bin)'],
    ['gRPC: a tab in a value', { protocol: 'grpc', steps: [{ action: 'h:1/p.S/M', compensate: '' }], branch_headers: { 'X-A': 'a\tb' } }, 'branch_headers.X-A: gRPC metadata values are printable ASCII'],
    ['custom_data not an object', { custom_data: '[1]' }, 'custom_data: must be empty or the text of a JSON object'],
    ['too many steps', { steps: Array.from({ length: 1001 }, () => ({ action: '' })), payloads: [] }, 'steps: at most 1000 steps'],
    ['a step value of the wrong type', { steps: [{ action: 5 }] }, 'steps.0.action: expected a string'],
  ])('%s', (_name, patch, message) => {
    expect(problem(patch)).toContain(message);
  });

  it('holds branch_headers to gRPC metadata rules only when the transaction may call gRPC branches', () => {
    const headers = { 'X-Trace': 'café', 'x!a': 'v', 'x-data-bin': 'é' };
    expect(parser.parseTrans({ ...base, branch_headers: headers }).options.branchHeaders).toEqual(headers);
    const grpcSpec = parser.parseTrans({ ...base, protocol: 'grpc', steps: [{ action: 'h:1/p.S/M', compensate: '' }], branch_headers: { 'X-Trace': 't-1', 'x-data-bin': 'é' } });
    expect(grpcSpec.options.branchHeaders).toEqual({ 'X-Trace': 't-1', 'x-data-bin': 'é' });
  });

  it('reports a list of too many headers once, without checking each entry', () => {
    const hostile = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`bad name ${i}`, 'v']));
    expect(problem({ branch_headers: hostile })).toBe('branch_headers: at most 32 headers');
  });

  it('accepts msg topic steps (topic://<name>) without treating them as URLs', () => {
    const spec = parser.parseTrans({ ...base, trans_type: 'msg', steps: [{ action: 'topic://orders.created' }, { action: 'topic://' }], payloads: ['{}', '{}'] });
    expect(spec.steps).toEqual([{ action: 'topic://orders.created' }, { action: 'topic://' }]);
    expect(spec.topicUrls).toBeUndefined();
  });

  it('accepts gids of every usual shape', () => {
    for (const gid of ['2Fm9TquGMUgBmTi3hKvJXs', '550e8400-e29b-41d4-a716-446655440000', 'order:42/retry', 'naïve-😀', 'x'.repeat(128)]) expect(gidProblem(gid), gid).toBeUndefined();
  });

  describe('req_extra (spec §2.1, §5.4)', () => {
    const wf = { gid: 'w-1', trans_type: 'workflow' };
    it('is kept only when sent, as strings', () => {
      expect(parser.parseTrans(base).reqExtra).toBeUndefined();
      expect(parser.parseTrans({ ...base, req_extra: {} }).reqExtra).toBeUndefined();
      expect(parser.parseTrans({ ...wf, req_extra: { status: 'failed', rollback_reason: 'r', result: 'eA==' } }).reqExtra).toEqual({ status: 'failed', rollback_reason: 'r', result: 'eA==' });
    });
    it('a workflow submit must say how it ended', () => {
      expect(workflowSubmitProblem(parser.parseTrans(wf))).toMatch(/^req_extra\.status: a workflow submit needs/);
      expect(workflowSubmitProblem(parser.parseTrans({ ...wf, req_extra: { status: 'succeed' } }))).toBeUndefined();
      expect(workflowSubmitProblem(parser.parseTrans(base))).toBeUndefined();
    });
    it.each<[string, Record<string, unknown>, RegExp]>([
      ['not an object', { ...wf, req_extra: 'x' }, /^req_extra: expected an object of strings$/],
      ['a number value', { ...wf, req_extra: { status: 1 } }, /^req_extra\.status: expected a string$/],
      ['another workflow status', { ...wf, req_extra: { status: 'prepared' } }, /^req_extra\.status: must be succeed or failed$/],
      ['too many entries', { ...wf, req_extra: Object.fromEntries(Array.from({ length: INPUT_BOUNDS.reqExtraMaxEntries + 1 }, (_, i) => [`k${i}`, ''])) }, /^req_extra: at most 16 entries$/],
      ['a long key', { ...wf, req_extra: { ['k'.repeat(INPUT_BOUNDS.reqExtraKeyMaxChars + 1)]: '' } }, /^req_extra: keys are 1-64 characters$/],
      ['a long reason', { ...wf, req_extra: { rollback_reason: 'r'.repeat(INPUT_BOUNDS.reqExtraValueMaxChars + 1) } }, /^req_extra\.rollback_reason: must be at most 65536 characters$/],
      ['a long result', { ...wf, req_extra: { result: 'r'.repeat(INPUT_BOUNDS.reqExtraResultMaxChars + 1) } }, /^req_extra\.result: must be at most 1400000 characters$/],
      ['a saga custom_data above its bound', { ...base, custom_data: `{"x":"${'y'.repeat(INPUT_BOUNDS.customDataMaxChars)}"}` }, /^custom_data: must be at most 65536 characters$/],
    ])('refuses %s', (_n, input, message) => {
      expect(() => parser.parseTrans(input)).toThrow(message);
    });
    it('a workflow custom_data may hold a large input', () => {
      const input = Buffer.alloc(200_000, 1).toString('base64');
      expect(parser.parseTrans({ ...wf, custom_data: JSON.stringify({ data: input, name: 'w' }) }).customData).toContain(input);
    });
  });
});
