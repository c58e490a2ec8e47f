import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { branchTransportOf, branchUrlWithQuery, queryEscape, queryParamOf } from '../../../src/invoker/branch-url.js';

const q = { branchId: '01', gid: 'g1', op: 'action', transType: 'saga' };

describe('branchTransportOf (spec §6.1)', () => {
  const cases: readonly [string, string, string][] = [
    ['http', '', 'none'],
    ['grpc', '', 'none'],
    ['http', 'http://b/x', 'http'],
    ['http', 'localhost:8080/pkg.Svc/M', 'http'],
    ['grpc', 'http://b/x', 'http'],
    ['grpc', 'https://b/x', 'http'],
    ['grpc', 'localhost:8080/pkg.Svc/M', 'grpc'],
    ['json-rpc', 'http://b/api?method=TransIn', 'json-rpc'],
    ['json-rpc', 'http://b/api', 'http'],
    ['json-rpc', 'localhost:8080/x', 'grpc'],
    ['http', 'http://b/api?method=TransIn', 'http'],
  ];
  for (const [protocol, url, expected] of cases) {
    it(`${protocol} ${JSON.stringify(url)} → ${expected}`, () => {
      expect(branchTransportOf(protocol, url)).toBe(expected);
    });
  }
});

describe('branchUrlWithQuery (spec §6.2)', () => {
  it('appends branch_id, gid, op, trans_type alphabetically', () => {
    expect(branchUrlWithQuery('http://b/x', q)).toBe('http://b/x?branch_id=01&gid=g1&op=action&trans_type=saga');
  });

  it('keeps an existing query string', () => {
    expect(branchUrlWithQuery('http://b/x?a=1', q)).toBe('http://b/x?a=1&branch_id=01&gid=g1&op=action&trans_type=saga');
    expect(branchUrlWithQuery('http://b/x?', q)).toBe('http://b/x?branch_id=01&gid=g1&op=action&trans_type=saga');
  });

  it('keeps a fragment last', () => {
    expect(branchUrlWithQuery('http://b/x?a=1#frag', q)).toBe('http://b/x?a=1&branch_id=01&gid=g1&op=action&trans_type=saga#frag');
  });

  it('escapes values like Go url.QueryEscape', () => {
    expect(queryEscape("a b+c/d?e&f=g~h_i.j-k!l'm(n)o*p")).toBe('a+b%2Bc%2Fd%3Fe%26f%3Dg~h_i.j-k%21l%27m%28n%29o%2Ap');
    expect(queryEscape('é✓')).toBe('%C3%A9%E2%9C%93');
    expect(queryEscape('saga-01_a.b~c')).toBe('saga-01_a.b~c');
    expect(queryEscape('')).toBe('');
  });

  it('escapes every string to Go url.QueryEscape\'s alphabet and back to itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 24 }), (s) => {
        const escaped = queryEscape(s);
        expect(escaped).toMatch(/^[A-Za-z0-9\-_.~%+]*$/);
        expect(decodeURIComponent(escaped.replace(/\+/g, ' '))).toBe(s);
        expect(escaped === s).toBe(/^[A-Za-z0-9\-_.~]*$/.test(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('queryParamOf', () => {
  it('reads the first value of a parameter, "" when absent', () => {
    expect(queryParamOf('http://b/api?x=1&method=TransIn&method=Other', 'method')).toBe('TransIn');
    expect(queryParamOf('http://b/api?method=a%2Fb', 'method')).toBe('a/b');
    expect(queryParamOf('http://b/api', 'method')).toBe('');
    expect(queryParamOf('http://b/api#method=x', 'method')).toBe('');
  });
});
