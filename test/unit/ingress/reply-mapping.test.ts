import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { errorReply, OK, type Reply } from '../../../src/engine/command.js';
import { BadRequest, ERROR_CODES, NotOwner } from '../../../src/errors.js';
import { ERROR_TABLE } from '../../../src/protocol/error-table.js';
import { MAX_STATUS_DETAILS, replyError, statusDetails, thrownError } from '../../../src/ingress/grpc/dtm-service.js';
import { rpcError } from '../../../src/ingress/jsonrpc/json-rpc-envelope.js';
import { grpcStatusOf } from '../../../src/protocol/error-grpc-status.js';

/** Engine replies and errors on the gRPC and JSON-RPC wires (spec §1.7, §4, §10.3). */
const ongoing: Reply = { ok: false, result: 'ONGOING', message: 'not yet' };
const failure: Reply = { ok: false, result: 'FAILURE', message: "current status 'succeed', cannot sumbmit. FAILURE" };
const silent = pino({ level: 'silent' });

describe('gRPC status of a reply', () => {
  it.each([
    ['FAILURE', failure, status.ABORTED],
    ['an invalid transition (FAILURE with its code)', errorReply("current status 'succeed', cannot sumbmit. FAILURE", 'DTX_INVALID_TRANSITION'), status.ABORTED],
    ['ONGOING', ongoing, status.FAILED_PRECONDITION],
    ['a plain error (dtm: Unknown)', { ok: false, result: 'ERROR', message: 'pass error' } as Reply, status.UNKNOWN],
    ['a bad request', errorReply('payloads has 1 entries', 'DTX_BAD_REQUEST'), status.INVALID_ARGUMENT],
    ['a retryable 503', errorReply('partition moved', NotOwner.code), status.UNAVAILABLE],
    ['an unknown gid (dtm: Internal)', errorReply('no TransGlobal with gid: x found', 'DTX_TRANS_NOT_FOUND'), status.INTERNAL],
  ])('%s', (_n, reply, code) => {
    const err = replyError(reply);
    expect(err?.code).toBe(code);
    expect(err?.details).toBe(reply.ok ? undefined : reply.message);
  });

  it('OK is no error', () => {
    expect(replyError(OK)).toBeUndefined();
  });

  it('thrown errors: CoordinatorErrors by their code, anything else Internal with its text', () => {
    expect(thrownError(new BadRequest('gid is required'), silent, 'Submit')).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'gid is required' });
    const odd = thrownError(new TypeError('x is undefined'), silent, 'Submit');
    expect(odd).toMatchObject({ code: status.INTERNAL, details: 'internal error: x is undefined' });
    expect(odd.metadata?.get('dtx-error-code')).toEqual(['DTX_INTERNAL']);
  });

  it('every code has a status; FAILURE codes keep the outcome table code, retryable ones are UNAVAILABLE', () => {
    for (const code of ERROR_CODES) {
      const row = ERROR_TABLE[code];
      if (row.result === 'FAILURE') expect(grpcStatusOf(row.result, code), code).toBe(status.ABORTED);
      if (row.retryable) expect(grpcStatusOf(row.result, code), code).toBe(status.UNAVAILABLE);
    }
  });
});

describe('JSON-RPC error of a reply', () => {
  it('FAILURE -32901, ONGOING -32902 (outcome table), anything else -32603 with the dtx code', () => {
    expect(rpcError('FAILURE', 'm FAILURE', undefined)).toEqual({ code: -32901, message: 'm FAILURE' });
    expect(rpcError('ONGOING', 'not yet', undefined)).toEqual({ code: -32902, message: 'not yet' });
    expect(rpcError('ERROR', 'bad', 'DTX_BAD_REQUEST')).toEqual({ code: -32603, message: 'bad', data: { code: 'DTX_BAD_REQUEST' } });
  });
});

describe('details of a gRPC status', () => {
  it('a message within the bound is sent as it is, surrogate pairs included', () => {
    expect(statusDetails('steps.0.action: bad url: \'😀\'')).toBe('steps.0.action: bad url: \'😀\'');
    expect(statusDetails('x'.repeat(MAX_STATUS_DETAILS))).toHaveLength(MAX_STATUS_DETAILS);
  });

  it('a lone surrogate becomes U+FFFD (grpc-js encodeURI throws on one)', () => {
    expect(statusDetails('steps.0.\ud800x\udfff: bad url')).toBe('steps.0.\ufffdx\ufffd: bad url');
    expect(() => encodeURI(statusDetails('a\udbff\udbffb'))).not.toThrow();
  });

  it('a longer one is cut at the bound and says how much was left out; a pair cut in two is not left half', () => {
    const d = statusDetails(`${'é'.repeat(MAX_STATUS_DETAILS + 10)}`);
    expect(d).toBe(`${'é'.repeat(MAX_STATUS_DETAILS)}… (10 more characters)`);
    const cut = statusDetails(`${'x'.repeat(MAX_STATUS_DETAILS - 1)}😀tail`);
    expect(cut.startsWith(`${'x'.repeat(MAX_STATUS_DETAILS - 1)}\ufffd… (`)).toBe(true);
    expect(() => encodeURI(cut)).not.toThrow();
  });

  it('replyError and thrownError send bounded, well-formed details', () => {
    const long = replyError(errorReply(`steps.0.${'\ud800'.repeat(5000)}: bad url`, 'DTX_BAD_REQUEST'));
    expect(long?.details.length).toBeLessThan(MAX_STATUS_DETAILS + 40);
    expect(() => encodeURI(long?.details ?? '')).not.toThrow();
    expect(thrownError(new BadRequest('\ud800'), silent, 'Submit').details).toBe('\ufffd');
  });
});
