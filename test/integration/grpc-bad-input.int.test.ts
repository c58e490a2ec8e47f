import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtmProto } from '../../src/protocol/dtm-proto.js';
import { MAX_STATUS_DETAILS } from '../../src/ingress/grpc/dtm-service.js';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { gidOf, query } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, rawCall, unary } from '../support/dtm-grpc-client.js';

/**
 * Bad input over gRPC: malformed protobuf in every field of DtmRequest, values the shared schema
 * refuses, oversize messages. Each gets InvalidArgument (ResourceExhausted for size) naming the
 * problem; the process keeps serving.
 */
const MAX_BYTES = 65_536;
const MAX_STREAMS = 20;
let dtx: DtxProcess;
let client: grpc.Client;
let target: string;
beforeAll(async () => {
  dtx = await startDtx({ env: { HTTP_MAX_BODY_BYTES: String(MAX_BYTES), GRPC_MAX_CONCURRENT_STREAMS: String(MAX_STREAMS), GRPC_MESSAGE_TIMEOUT: '1' } });
  target = `127.0.0.1:${dtx.grpcPort}`;
  client = dtmClient(target);
});
afterAll(async () => {
  client?.close();
  await dtx?.kill();
});

const { DtmRequest } = dtmProto().messages;
/** A valid saga request without branch calls; bytes appended to it override or add fields. */
const valid = (gid: string) => DtmRequest.encode(dtmRequest(gid, 'saga', [{ action: '', compensate: '' }], ['{}']));
const bytes = (...b: number[]) => Buffer.from(b);
/** A Submit call on `session` that sends 1 byte of the 5-byte message prefix and nothing more. */
function unfinishedSubmit(session: http2.ClientHttp2Session): http2.ClientHttp2Stream {
  const stream = session.request({ ':method': 'POST', ':path': '/dtmgimp.Dtm/Submit', 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => undefined);
  stream.write(bytes(0));
  return stream;
}
const BAD_UTF8 = [0xff, 0xfe];

describe('gRPC ingress: malformed protobuf → InvalidArgument naming the field', () => {
  it.each([
    ['Gid not UTF-8', bytes(0x0a, 2, ...BAD_UTF8), /^malformed DtmRequest: Gid: not valid UTF-8$/],
    ['Gid a UTF-16 surrogate', bytes(0x0a, 3, 0xed, 0xa0, 0x80), /Gid: not valid UTF-8/],
    ['TransType not UTF-8', bytes(0x12, 2, ...BAD_UTF8), /TransType: not valid UTF-8/],
    ['CustomedData not UTF-8', bytes(0x22, 2, ...BAD_UTF8), /CustomedData: not valid UTF-8/],
    ['QueryPrepared not UTF-8', bytes(0x32, 2, ...BAD_UTF8), /QueryPrepared: not valid UTF-8/],
    ['Steps not UTF-8', bytes(0x3a, 2, ...BAD_UTF8), /Steps: not valid UTF-8/],
    ['RollbackReason not UTF-8', bytes(0x4a, 2, ...BAD_UTF8), /RollbackReason: not valid UTF-8/],
    ['ReqExtra key not UTF-8', bytes(0x42, 4, 0x0a, 2, ...BAD_UTF8), /ReqExtra\.key: not valid UTF-8/],
    ['BinPayloads longer than the message', bytes(0x2a, 5, 1), /BinPayloads: length 5 runs past the end/],
    ['TransOptions cut short', bytes(0x1a, 2, 0x08), /TransOptions: length 2 runs past the end/],
    ['TransOptions.WaitResult as bytes', bytes(0x1a, 3, 0x0a, 1, 0), /TransOptions\.WaitResult: wrong wire type/],
    ['TransOptions.TimeoutToFail truncated', bytes(0x1a, 2, 0x10, 0xff), /TransOptions\.TimeoutToFail: truncated varint/],
    ['TransOptions.RetryInterval over 10 bytes (Go: an overflow)', bytes(0x1a, 12, 0x18, ...Array(11).fill(0xff)), /TransOptions\.RetryInterval: varint overflows 64 bits/],
    ['BranchHeaders key not UTF-8', bytes(0x1a, 6, 0x2a, 4, 0x0a, 2, ...BAD_UTF8), /TransOptions\.BranchHeaders\.key: not valid UTF-8/],
    ['BranchHeaders value not UTF-8', bytes(0x1a, 6, 0x2a, 4, 0x12, 2, 0xc3, 0x28), /TransOptions\.BranchHeaders\.value: not valid UTF-8/],
    ['Gid as a varint', bytes(0x08, 1), /Gid: wrong wire type/],
    ['Gid as fixed64', bytes(0x09, 1, 2, 3, 4, 5, 6, 7, 8), /Gid: wrong wire type 1/],
    ['wire type 7', bytes(0x0f, 0), /Gid: unsupported wire type 7/],
    ['a group (wire type 3)', bytes(0xa3, 0x01), /field 20: unsupported wire type 3/],
    ['field number 0', bytes(0x00, 0x00), /field 0: invalid field number/],
    ['a truncated tag', bytes(0x80), /message: truncated varint/],
  ])('%s', async (_name, tail, message) => {
    const r = await rawCall(target, 'Submit', Buffer.concat([valid(gidOf('mal')), tail]));
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toMatch(message);
    expect(r.trailer?.get('dtx-error-code')).toEqual(['DTX_BAD_REQUEST']);
  });

  it('the same check guards Prepare, Abort, NewGid and PrepareWorkflow', async () => {
    for (const rpc of ['Prepare', 'Abort', 'NewGid', 'PrepareWorkflow']) {
      const r = await rawCall(target, rpc, bytes(0x0a, 5, 1));
      expect(r.code, rpc).toBe(grpc.status.INVALID_ARGUMENT);
      expect(r.details, rpc).toMatch(/length 5 runs past the end/);
    }
  });

  it('a well-formed unknown field is skipped (proto3 forward compatibility)', async () => {
    const gid = gidOf('unknown-field');
    const r = await rawCall(target, 'Submit', Buffer.concat([valid(gid), bytes(0x78, 0x01, 0xa2, 0x06, 1, 0x41)]));
    expect(r.code).toBe(grpc.status.OK);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('succeed');
  });
});

describe('gRPC ingress: values the shared schema refuses → InvalidArgument naming the field', () => {
  const one = [{ action: '', compensate: '' }];
  it.each([
    ['an empty gid', dtmRequest('', 'saga', one, ['{}']), /^gid is required$/],
    ['an empty trans_type', dtmRequest('e1', '', one, ['{}']), /^trans_type is required$/],
    ['an unknown trans_type', dtmRequest('e2', 'banana', one, ['{}']), /unknow trans type: banana/],
    ['a control character in the gid (gRPC does not strip it)', dtmRequest('e3\n', 'saga', one, ['{}']), /^gid: must be/],
    ['payloads shorter than steps', dtmRequest('e4', 'saga', [...one, ...one], ['{}']), /payloads has 1 entries but steps has 2/],
    ['Steps that are not JSON', { ...dtmRequest('e5', 'saga', one, ['{}']), Steps: '[{"action":' }, /^Steps: not valid JSON text/],
    ['Steps that are not an array', { ...dtmRequest('e6', 'saga', one, ['{}']), Steps: '{"action":""}' }, /^steps: expected an array/],
    ['a step URL of the wrong type', { ...dtmRequest('e7', 'saga', one, ['{}']), Steps: '[{"action":5}]' }, /^steps\.0\.action: expected a string/],
    ['a custom-scheme step URL without a driver', dtmRequest('e8', 'saga', [{ action: 'file:///etc/passwd', compensate: '' }], ['{}']), /^steps\.0\.action: call dtmdriver\.Use\(\) before/],
    ['a gRPC step URL without a method', dtmRequest('e8b', 'saga', [{ action: '', compensate: '127.0.0.1:1' }], ['{}']), /^steps\.0\.compensate: bad url: '127\.0\.0\.1:1'\. no '\/' found/],
    ['a negative TimeoutToFail', dtmRequest('e9', 'saga', one, ['{}'], { TransOptions: { TimeoutToFail: -1 } }), /^timeout_to_fail: /],
    ['a RetryLimit above the bound', dtmRequest('e10', 'saga', one, ['{}'], { TransOptions: { RetryLimit: 1e6 } }), /^retry_limit: /],
    ['a forbidden branch header', dtmRequest('e11', 'saga', one, ['{}'], { TransOptions: { BranchHeaders: { host: 'evil' } } }), /^branch_headers\.host: /],
    ['custom_data that is not a JSON object', dtmRequest('e12', 'saga', one, ['{}'], { CustomedData: '[1]' }), /^custom_data: /],
  ])('%s', async (_name, req, message) => {
    const r = await unary(client, 'Submit', req);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toMatch(message);
  });

  // A JSON escape in Steps is valid UTF-8 on the wire and a lone surrogate once
  // parsed; the message naming the field repeats it, and grpc-js's encodeURI of the status details
  // threw on it outside any handler: the process exited (found by test/fuzz/grpc-api.fuzz.test.ts).
  it.each([
    ['a step key', { ...dtmRequest('s1', 'saga', one, ['{}']), Steps: '[{"\\ud800":"x"}]' }, /^steps\.0\.\ufffd: bad url/],
    ['a step URL', { ...dtmRequest('s2', 'saga', one, ['{}']), Steps: '[{"action":"http://a/\\udc00"}]' }, /^steps\.0\.action: must not contain/],
  ])('a lone surrogate escaped in %s: InvalidArgument with U+FFFD in its place', async (_name, req, message) => {
    const r = await unary(client, 'Submit', req);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toMatch(message);
    expect(r.details).not.toMatch(/[\ud800-\udfff]/);
    expect(dtx.proc.exitCode).toBeNull();
  });

  // 16,000 'é' of a step key, repeated in the message, were ~96 KB once percent-encoded in the
  // grpc-message trailer: above Node's 64 KiB header list limit, so the answer never arrived.
  it('a message repeating a long step key is cut to MAX_STATUS_DETAILS characters and arrives', async () => {
    const r = await unary(client, 'Submit', { ...dtmRequest('s3', 'saga', one, ['{}']), Steps: JSON.stringify([{ ['é'.repeat(16_000)]: 'x' }]) }, new grpc.Metadata(), 10_000);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toMatch(/^steps\.0\.éé.*… \(\d+ more characters\)$/);
    expect(r.details.length).toBeLessThan(MAX_STATUS_DETAILS + 40);
  });

  it('Steps "null" (the Go SDK without steps) is no steps', async () => {
    const gid = gidOf('null-steps');
    const r = await unary(client, 'Submit', { Gid: gid, TransType: 'saga', Steps: 'null' });
    expect(r.code).toBe(grpc.status.OK);
    expect((await query(dtx.api, gid)).transaction?.status).toBe('succeed');
  });

  it(`a message above HttpMaxBodyBytes (${MAX_BYTES}) is ResourceExhausted`, async () => {
    const r = await unary(client, 'Submit', dtmRequest(gidOf('big'), 'saga', [{ action: '', compensate: '' }], ['x'.repeat(MAX_BYTES + 1)]));
    expect(r.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(r.details).toMatch(/larger than max/i);
  });

  // A call whose message never completes holds its stream and what arrived of its message (docs/limits.md):
  // without the bound, one connection held 180 MiB more with 40,000 such calls of a few bytes each.
  it(`a connection gets at most GrpcMaxConcurrentStreams (${MAX_STREAMS}) calls at once; others are served meanwhile`, async () => {
    const session = http2.connect(`http://${target}`);
    try {
      await new Promise<void>((resolve, reject) => session.once('remoteSettings', () => resolve()).once('error', reject));
      expect(session.remoteSettings.maxConcurrentStreams).toBe(MAX_STREAMS);
      for (let i = 0; i < MAX_STREAMS; i++) unfinishedSubmit(session);
      expect((await unary<{ Gid: string }>(client, 'NewGid', {})).value?.Gid).toHaveLength(22);
    } finally {
      session.destroy();
    }
  });

  it('a call whose message has not arrived within GrpcMessageTimeout (1 s here) ends DEADLINE_EXCEEDED', async () => {
    const session = http2.connect(`http://${target}`);
    try {
      const stream = unfinishedSubmit(session);
      const status = new Promise<string | undefined>((resolve) => {
        // a status without a message comes as trailers-only: grpc-status in the response headers
        stream.on('response', (h) => h['grpc-status'] !== undefined && resolve(String(h['grpc-status'])));
        stream.on('trailers', (h) => resolve(String(h['grpc-status'])));
      });
      expect(await status).toBe(String(grpc.status.DEADLINE_EXCEEDED));
    } finally {
      session.destroy();
    }
  });

  it('the process is still serving after all of it', async () => {
    expect(dtx.proc.exitCode).toBeNull();
    expect((await unary<{ Gid: string }>(client, 'NewGid', {})).value?.Gid).toHaveLength(22);
    expect(dtx.logs.filter((l) => l.includes('"level":50') || l.includes('"level":60'))).toEqual([]);
  });
});
