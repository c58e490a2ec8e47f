import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadRequest, CoordinatorError, ERROR_CLASSES, ERROR_CODES, LogUnavailable, REPLY_ONLY_CODES, ensureError, isRetryable } from '../../src/errors.js';
import { ERROR_TABLE, grpcStatusName } from '../../src/protocol/error-table.js';

/** The one error table, its documentation (STYLE L9, L22: fastify's errors.test.js) and its use. */
const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const ROOT = path.resolve(import.meta.dirname, '../..');
const rows = new Map(DOC.split('\n').filter((l) => l.startsWith('| `DTX_')).map((l) => {
  const cells = l.split('|').map((c) => c.trim());
  return [cells[1]!.replaceAll('`', ''), cells] as const;
}));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs/errors.md and the error table agree both ways', () => {
  it('documents every code of the table, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...ERROR_CODES].sort());
    const mentioned = new Set(DOC.match(/\bDTX_[A-Z0-9_]+\b/g) ?? []);
    expect([...mentioned].filter((c) => !ERROR_CODES.includes(c as never))).toEqual([]);
  });

  it("each row states the table's result, HTTP status, retryability and gRPC status", () => {
    for (const code of ERROR_CODES) {
      const cells = rows.get(code)!;
      const row = ERROR_TABLE[code];
      expect(cells[4], code).toBe(row.result);
      expect(cells[5], code).toBe(String(row.httpStatus));
      expect(cells[6], code).toBe(row.retryable ? 'yes' : 'no');
      expect(cells[7], code).toBe(grpcStatusName(row.grpcStatus));
    }
  });

  it('each row names the class that throws the code, or says it is only a reply', () => {
    for (const code of ERROR_CODES) {
      const cls = ERROR_CLASSES.find((c) => c.code === code);
      expect(rows.get(code)![2], code).toBe(cls === undefined ? '— (a reply)' : `\`${cls.name}\``);
    }
  });
});

describe('every code is raised somewhere (an error nobody raises is deleted)', () => {
  const code = [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'machines'))]
    .filter((f) => !f.endsWith(path.join('protocol', 'error-table.ts')))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  it.each(REPLY_ONLY_CODES.map((c) => [c]))('%s is put on an engine reply', (c) => {
    expect(code.includes(`'${c}'`), `${c} is in the table but nothing raises it`).toBe(true);
  });
  it.each(ERROR_CLASSES.map((c) => [c.name, c]))('%s is thrown', (name) => {
    expect(new RegExp(`new ${name}\\(`).test(code), `${name} is never thrown`).toBe(true);
  });
});

describe('CoordinatorError', () => {
  it("takes every property from its code's row", () => {
    for (const cls of ERROR_CLASSES) {
      const err = new cls('m');
      const row = ERROR_TABLE[cls.code];
      expect(err).toBeInstanceOf(CoordinatorError);
      expect([err.code, err.result, err.httpStatus, err.retryable, err.name]).toEqual([cls.code, row.result, row.httpStatus, row.retryable, cls.name]);
      expect(isRetryable(err)).toBe(row.retryable);
    }
  });

  it('FAILURE texts end with " FAILURE" exactly once (spec §3.1)', () => {
    expect(new CoordinatorError('DTX_INVALID_TRANSITION', "current status 'succeed', cannot sumbmit.").message).toBe("current status 'succeed', cannot sumbmit. FAILURE");
    expect(new CoordinatorError('DTX_DUPLICATE_GID', 'gid reused FAILURE').message).toBe('gid reused FAILURE');
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
