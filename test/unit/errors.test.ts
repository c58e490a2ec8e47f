import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BadRequest,
  Unauthorized,
  BranchFailure,
  BranchOngoing,
  CoordinatorError,
  DuplicateGid,
  ERROR_CLASSES,
  ERROR_CODES,
  Internal,
  InvalidTransition,
  LogUnavailable,
  NotSupported,
  Overloaded,
  NotOwner,
  NoOwner,
  PayloadTooLarge,
  TransNotFound,
  ensureError,
  isRetryable,
} from '../../src/errors.js';
import { GRPC_STATUS_OF_CODE, grpcStatusName } from '../../src/protocol/error-grpc-status.js';

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const CODE_PATTERN = /\bDTX_[A-Z0-9_]+\b/g;

describe('error codes are documented (STYLE L9)', () => {
  it('every code is in docs/errors.md', () => {
    const missing = ERROR_CODES.filter((code) => !DOC.includes(`\`${code}\``));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
  });

  it('every code in docs/errors.md is used by a class', () => {
    const documented = new Set(DOC.match(CODE_PATTERN) ?? []);
    const dead = [...documented].filter((code) => !ERROR_CODES.includes(code));
    expect(dead, 'codes documented but used by no class').toEqual([]);
  });

  it('codes are unique and each instance carries its class code', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const cls of ERROR_CLASSES) {
      const err = new cls('m');
      expect(err.code).toBe(cls.code);
      expect(err.name).toBe(cls.name);
      expect(err).toBeInstanceOf(CoordinatorError);
      expect(err).toBeInstanceOf(Error);
    }
  });

  it('the doc row of each code states its HTTP status and retryability', () => {
    for (const cls of ERROR_CLASSES) {
      const err = new cls('m');
      const row = DOC.split('\n').find((line) => line.startsWith(`| \`${err.code}\``));
      expect(row, `no table row for ${err.code}`).toBeDefined();
      const cells = (row ?? '').split('|').map((c) => c.trim());
      expect(cells[2], err.code).toBe(`\`${cls.name}\``);
      expect(cells[4], err.code).toBe(err.result);
      expect(cells[5], err.code).toBe(String(err.httpStatus));
      expect(cells[6], err.code).toBe(err.retryable ? 'yes' : 'no');
    }
  });

  it('the doc row of each code states its gRPC status, from the one table', () => {
    expect(Object.keys(GRPC_STATUS_OF_CODE).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const row = DOC.split('\n').find((line) => line.startsWith(`| \`${code}\``));
      const cells = (row ?? '').split('|').map((c) => c.trim());
      expect(cells[7], code).toBe(grpcStatusName(GRPC_STATUS_OF_CODE[code]!));
    }
  });
});

describe('CoordinatorError classes', () => {
  const expected: readonly [CoordinatorError, string, number, boolean][] = [
    [new BadRequest('m'), 'ERROR', 400, false],
    [new Unauthorized('m'), 'ERROR', 401, false],
    [new PayloadTooLarge('m'), 'ERROR', 413, false],
    [new TransNotFound('m'), 'ERROR', 500, false],
    [new InvalidTransition('m'), 'FAILURE', 409, false],
    [new DuplicateGid('m'), 'FAILURE', 409, false],
    [new BranchFailure('m'), 'FAILURE', 409, false],
    [new BranchOngoing('m'), 'ONGOING', 425, true],
    [new LogUnavailable('m'), 'ERROR', 503, true],
    [new NotSupported('m'), 'ERROR', 501, false],
    [new Overloaded('m'), 'ERROR', 503, true],
    [new NotOwner('m'), 'ERROR', 503, true],
    [new NoOwner('m'), 'ERROR', 503, true],
    [new Internal('m'), 'ERROR', 500, false],
  ];
  for (const [err, result, status, retryable] of expected) {
    it(`${err.name}: ${result}, HTTP ${status}, retryable ${retryable}`, () => {
      expect(err.result).toBe(result);
      expect(err.httpStatus).toBe(status);
      expect(err.retryable).toBe(retryable);
      expect(isRetryable(err)).toBe(retryable);
    });
  }

  it('covers every class', () => {
    expect(expected.map(([e]) => e.name).sort()).toEqual(ERROR_CLASSES.map((c) => c.name).sort());
  });

  it('FAILURE errors end with " FAILURE" exactly once (spec §3.1)', () => {
    expect(new InvalidTransition("current status 'succeed', cannot sumbmit.").message).toBe(
      "current status 'succeed', cannot sumbmit. FAILURE",
    );
    expect(new DuplicateGid('gid reused FAILURE').message).toBe('gid reused FAILURE');
    expect(new BadRequest('bad').message).toBe('bad');
  });

  it('keeps the cause', () => {
    const cause = new Error('disk full');
    expect(new LogUnavailable('append failed', { cause }).cause).toBe(cause);
  });
});

describe('ensureError', () => {
  it('returns Errors unchanged', () => {
    const err = new TypeError('x');
    expect(ensureError(err)).toBe(err);
  });

  it('wraps other values and keeps them as cause', () => {
    const wrapped = ensureError({ a: 1 });
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toContain('{"a":1}');
    expect(wrapped.cause).toEqual({ a: 1 });
    expect(ensureError('text').message).toContain('text');
    expect(ensureError(undefined).message).toContain('undefined');
    expect(ensureError(10n).message).toContain('10');
  });
});

describe('isRetryable', () => {
  it('never retries programmer errors', () => {
    for (const err of [new TypeError('t'), new RangeError('r'), new ReferenceError('f'), new SyntaxError('s')]) {
      expect(isRetryable(err)).toBe(false);
    }
  });

  it('retries other errors (I/O)', () => {
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true);
  });
});
