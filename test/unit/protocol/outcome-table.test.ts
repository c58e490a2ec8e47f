import { describe, expect, it } from 'vitest';
import {
  OUTCOMES,
  classifyGrpcAnswer,
  classifyHttpAnswer,
  failureMessage,
  grpcCodeOf,
  httpStatusOf,
  jsonRpcCodeOf,
  resultOfJsonRpcCode,
} from '../../../src/protocol/outcome-table.js';
import type { DtmResult } from '../../../src/protocol/outcome-table.js';

const ALL_RESULTS: readonly DtmResult[] = ['SUCCESS', 'FAILURE', 'ONGOING', 'ERROR'];

describe('OUTCOMES table', () => {
  it('has exactly one row per result', () => {
    expect(OUTCOMES.map((r) => r.result).sort()).toEqual([...ALL_RESULTS].sort());
  });

  it('matches spec §1.7', () => {
    const byResult = Object.fromEntries(OUTCOMES.map((r) => [r.result, r]));
    expect(byResult['SUCCESS']).toMatchObject({ httpStatus: 200, grpcCode: 0, jsonRpcCode: null });
    expect(byResult['FAILURE']).toMatchObject({ httpStatus: 409, grpcCode: 10, jsonRpcCode: -32901 });
    expect(byResult['ONGOING']).toMatchObject({ httpStatus: 425, grpcCode: 9, jsonRpcCode: -32902 });
    expect(byResult['ERROR']).toMatchObject({ httpStatus: 500, grpcCode: 2, jsonRpcCode: -32603 });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(OUTCOMES)).toBe(true);
    for (const row of OUTCOMES) expect(Object.isFrozen(row)).toBe(true);
  });

  for (const row of OUTCOMES) {
    describe(`row ${row.result}`, () => {
      it('round-trips through the lookup functions', () => {
        expect(httpStatusOf(row.result)).toBe(row.httpStatus);
        expect(grpcCodeOf(row.result)).toBe(row.grpcCode);
        expect(jsonRpcCodeOf(row.result)).toBe(row.jsonRpcCode);
        expect(resultOfJsonRpcCode(row.jsonRpcCode)).toBe(row.result);
      });

      it('classifies its own HTTP status (with a neutral body) back to itself', () => {
        expect(classifyHttpAnswer(row.httpStatus, 'neutral body').result).toBe(row.result);
      });

      it('classifies its own gRPC code back to itself', () => {
        expect(classifyGrpcAnswer(row.grpcCode, 'neutral message').result).toBe(row.result);
      });
    });
  }

  it('throws a RangeError for an unknown result (programmer error)', () => {
    expect(() => httpStatusOf('MAYBE' as DtmResult)).toThrow(RangeError);
  });
});

describe('classifyHttpAnswer (spec §6.5 precedence)', () => {
  const cases: readonly [number, string, DtmResult][] = [
    [200, '{"dtm_result":"SUCCESS"}', 'SUCCESS'],
    [200, '', 'SUCCESS'],
    [200, '{"dtm_result":"FAILURE"}', 'FAILURE'],
    [200, '{"dtm_result":"ONGOING"}', 'ONGOING'],
    [409, '', 'FAILURE'],
    [409, 'conflict', 'FAILURE'],
    [425, '', 'ONGOING'],
    [425, '{"dtm_result":"FAILURE"}', 'ONGOING'],
    [500, 'still ONGOING here', 'ONGOING'],
    [500, 'a FAILURE inside user data', 'FAILURE'],
    [409, 'ONGOING', 'ONGOING'],
    [200, 'FAILURE and ONGOING', 'ONGOING'],
    [500, 'boom', 'ERROR'],
    [201, '', 'ERROR'],
    [204, '', 'ERROR'],
    [404, 'not found', 'ERROR'],
    [503, '', 'ERROR'],
  ];
  for (const [status, body, expected] of cases) {
    it(`${status} ${JSON.stringify(body)} → ${expected}`, () => {
      expect(classifyHttpAnswer(status, body).result).toBe(expected);
    });
  }

  it('markers are case-sensitive substrings', () => {
    expect(classifyHttpAnswer(200, '{"dtm_result":"failure"}').result).toBe('SUCCESS');
  });

  it('ERROR message is the body', () => {
    expect(classifyHttpAnswer(500, 'boom')).toEqual({ result: 'ERROR', message: 'boom' });
  });

  it('FAILURE message gets a single " FAILURE" suffix', () => {
    expect(classifyHttpAnswer(409, 'no stock').message).toBe('no stock FAILURE');
    expect(classifyHttpAnswer(409, 'no stock FAILURE').message).toBe('no stock FAILURE');
    expect(classifyHttpAnswer(200, '{"dtm_result":"FAILURE"}').message).toBe('{"dtm_result":"FAILURE"} FAILURE');
  });

  it('ONGOING keeps the body', () => {
    expect(classifyHttpAnswer(425, 'wait').message).toBe('wait');
  });
});

describe('classifyGrpcAnswer (spec §6.5)', () => {
  it('OK → SUCCESS', () => expect(classifyGrpcAnswer(0, '').result).toBe('SUCCESS'));
  it('Aborted "ONGOING" → ONGOING (pre-v1.10)', () => {
    expect(classifyGrpcAnswer(10, 'ONGOING')).toEqual({ result: 'ONGOING', message: 'ONGOING' });
  });
  it('other Aborted → FAILURE with dtm\'s "%s. FAILURE" text', () => {
    expect(classifyGrpcAnswer(10, 'no stock')).toEqual({ result: 'FAILURE', message: 'no stock. FAILURE' });
    expect(classifyGrpcAnswer(10, 'ONGOING soon').result).toBe('FAILURE');
  });
  it('FailedPrecondition → ONGOING', () => expect(classifyGrpcAnswer(9, 'x').result).toBe('ONGOING'));
  for (const code of [1, 2, 3, 4, 5, 8, 12, 13, 14, 16]) {
    it(`code ${code} → ERROR`, () => expect(classifyGrpcAnswer(code, 'm')).toEqual({ result: 'ERROR', message: 'm' }));
  }
});

describe('resultOfJsonRpcCode', () => {
  it('maps absent error to SUCCESS and unknown codes to ERROR', () => {
    expect(resultOfJsonRpcCode(undefined)).toBe('SUCCESS');
    expect(resultOfJsonRpcCode(-32901)).toBe('FAILURE');
    expect(resultOfJsonRpcCode(-32902)).toBe('ONGOING');
    expect(resultOfJsonRpcCode(-32601)).toBe('ERROR');
    expect(resultOfJsonRpcCode(0)).toBe('ERROR');
  });
});

describe('failureMessage', () => {
  it('appends " FAILURE" unless already there', () => {
    expect(failureMessage('x')).toBe('x FAILURE');
    expect(failureMessage('x FAILURE')).toBe('x FAILURE');
    expect(failureMessage('')).toBe(' FAILURE');
    expect(failureMessage('xFAILURE')).toBe('xFAILURE FAILURE');
  });
});
