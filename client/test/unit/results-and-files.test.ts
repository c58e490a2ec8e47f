import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { branchAnswer, BranchIdGen, branchContextFromQuery, DtmFailure, DtmOngoing, DtmRequestError, grpcBranchError, splitGrpcUrl } from '../../src/index.js';
import { grpcResultError, httpAnswerError } from '../../src/dtm-result.js';

describe('dtm result codes', () => {
  it('classifies HTTP answers as dtm’s SDKs do', () => {
    expect(httpAnswerError(200, '{"dtm_result":"SUCCESS"}', 'x')).toBeUndefined();
    expect(httpAnswerError(409, 'no', 'x')).toBeInstanceOf(DtmFailure);
    expect(httpAnswerError(200, '{"dtm_result":"FAILURE"}', 'x')).toBeInstanceOf(DtmFailure);
    expect(httpAnswerError(425, '', 'x')).toBeInstanceOf(DtmOngoing);
    expect(httpAnswerError(200, '{"dtm_result":"ONGOING"}', 'x')).toBeInstanceOf(DtmOngoing);
    const other = httpAnswerError(201, 'created', 'x');
    expect(other).toBeInstanceOf(DtmRequestError);
    expect((other as DtmRequestError).httpStatus).toBe(201);
    expect(httpAnswerError(409, 'reason FAILURE', 'x')?.message).toBe('x: reason FAILURE');
  });

  it('classifies gRPC codes: ABORTED is FAILURE (ONGOING for the pre-1.10 message), FAILED_PRECONDITION is ONGOING', () => {
    expect(grpcResultError(10, 'Insufficient balance', 'x')).toBeInstanceOf(DtmFailure);
    expect(grpcResultError(10, 'ONGOING', 'x')).toBeInstanceOf(DtmOngoing);
    expect(grpcResultError(9, '', 'x')).toBeInstanceOf(DtmOngoing);
    expect(grpcResultError(14, 'down', 'x')).toBeUndefined();
  });

  it('answers branch outcomes with dtm’s codes over HTTP and gRPC', () => {
    expect(branchAnswer({ value: undefined })).toEqual({ status: 200, body: '{"dtm_result":"SUCCESS"}' });
    expect(branchAnswer({ value: { a: 1 } })).toEqual({ status: 200, body: '{"a":1}' });
    expect(branchAnswer({ error: new DtmFailure('no money') })).toEqual({ status: 409, body: '{"dtm_result":"FAILURE","message":"no money"}' });
    expect(branchAnswer({ error: new DtmOngoing() })).toEqual({ status: 425, body: '{"dtm_result":"ONGOING","message":"ONGOING"}' });
    expect(branchAnswer({ error: new Error('db down') })).toEqual({ status: 500, body: '{"message":"db down"}' });
    expect([grpcBranchError(new DtmFailure()).code, grpcBranchError(new DtmOngoing()).code, grpcBranchError('x').code]).toEqual([10, 9, 2]);
  });
});

describe('branch calls', () => {
  it('reads and escapes dtm’s query parameters', () => {
    expect(branchContextFromQuery(new URLSearchParams('gid=a%3Bb%0A&trans_type=saga&branch_id=01&op=action'))).toEqual({ gid: 'ab', trans_type: 'saga', branch_id: '01', op: 'action', dtm: '', phase2_url: '' });
    expect(branchContextFromQuery({ gid: ['g1', 'g2'], op: 'try' })).toMatchObject({ gid: 'g1', op: 'try', branch_id: '' });
  });

  it('numbers branches as dtm does and refuses what dtm refuses', () => {
    const ids = new BranchIdGen('02');
    expect([ids.next(), ids.next()]).toEqual(['0201', '0202']);
    const many = new BranchIdGen();
    for (let i = 0; i < 99; i += 1) many.next();
    expect(() => many.next()).toThrow(/99/);
    expect(() => new BranchIdGen('0'.repeat(20)).next()).toThrow(/20/);
  });

  it('splits gRPC branch URLs at the first slash', () => {
    expect(splitGrpcUrl('127.0.0.1:58081/busi.Busi/TransIn')).toEqual({ target: '127.0.0.1:58081', method: '/busi.Busi/TransIn' });
    expect(() => splitGrpcUrl('etcd://x/y')).toThrow(/bad gRPC branch URL/);
  });
});

describe('shipped files', () => {
  it('the package’s protos are the repository’s, byte for byte', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    for (const f of ['dtmgimp.proto', 'workflow.proto']) {
      expect(readFileSync(path.join(root, 'client/proto', f), 'utf8'), f).toBe(readFileSync(path.join(root, 'proto', f), 'utf8'));
    }
  });
});
