import { describe, expect, it } from 'vitest';
import { answerProblem, outcomeClass, parseAnswer, PASS_ERROR_PREFIX } from './answer-rules.js';
import type { FuzzRequest } from './fuzz-requests.js';
import { pointsAtDtx } from './fuzz-urls.js';
import { RawToken, toJsonText } from './fuzz-values.js';

/** The fuzz's oracle must be able to fail: each rule is checked on answers that break it. */
const post = (route: string, headers?: Record<string, string>): FuzzRequest => ({ route, method: 'POST', path: `/api/dtmsvr/${route}`, body: '{}', ...(headers ? { headers } : {}) });
const getReq: FuzzRequest = { route: 'all', method: 'GET', path: '/api/dtmsvr/all' };
const answer = (status: number, body: unknown) => parseAnswer(status, typeof body === 'string' ? body : JSON.stringify(body));

describe('fuzz answer rules', () => {
  it.each([
    ['a plain 500', post('submit'), answer(500, { message: 'boom', code: 'DTX_INTERNAL' }), /neither 2xx, 4xx nor an explained 5xx/],
    ['a 502', post('submit'), answer(502, { message: 'x' }), /neither/],
    ['a 503 without the retryable code', post('submit'), answer(503, { message: 'x', code: 'DTX_LOG_UNAVAILABLE' }), /neither/],
    ['a pass error relayed by prepare', post('prepare'), answer(500, { message: `${PASS_ERROR_PREFIX} x` }), /neither/],
    ['a 400 that names no field', post('submit'), answer(400, { message: 'something went wrong', code: 'DTX_BAD_REQUEST' }), /names no field/],
    ['a 4xx without JSON', post('submit'), answer(404, '404 page not found'), /without a JSON "message"/],
    ['a 409 without FAILURE', post('submit'), answer(409, { message: 'conflict' }), /FAILURE envelope/],
    ['a 2xx POST that is not SUCCESS', post('submit'), answer(200, { dtm_result: 'OK' }), /not \{"dtm_result":"SUCCESS"\}/],
    ['a success that contains FAILURE', post('submit'), answer(200, { dtm_result: 'SUCCESS', note: 'FAILURE' }), /contains FAILURE/],
    ['a 2xx GET that is not JSON', getReq, answer(200, 'ok'), /not a JSON object/],
  ])('flags %s', (_name, req, a, problem) => {
    expect(answerProblem(req, a)).toMatch(problem);
  });

  it.each([
    ['400 naming a field', post('submit'), answer(400, { message: 'steps.0.action: scheme \'file:\' cannot be called', code: 'DTX_BAD_REQUEST' })],
    ['dtm not-found 500', post('abort'), answer(500, { message: 'no TransGlobal with gid: x found', code: 'DTX_TRANS_NOT_FOUND' })],
    ['retryable 503', post('submit'), answer(503, { message: 'full', code: 'DTX_OVERLOADED' })],
    ['409 FAILURE', post('submit'), answer(409, { dtm_result: 'FAILURE', message: 'x FAILURE' })],
    ['a known finding (F1)', post('submit', { 'content-encoding': 'gzip' }), answer(400, { message: 'bad request: incorrect header check', code: 'DTX_BAD_REQUEST' })],
  ])('accepts %s', (_name, req, a) => {
    expect(answerProblem(req, a)).toBeUndefined();
  });

  it('classes answers by status and code', () => {
    expect(outcomeClass(answer(400, { message: 'x', code: 'DTX_BAD_REQUEST' }))).toBe('400 DTX_BAD_REQUEST');
    expect(outcomeClass(answer(409, { dtm_result: 'FAILURE', message: 'x' }))).toBe('409 FAILURE');
    expect(outcomeClass(answer(200, { dtm_result: 'SUCCESS' }))).toBe('200 -');
  });

  it('spots URLs that reach dtx itself, in every loopback spelling', () => {
    for (const u of ['http://127.0.0.1:7/x', 'http://127.1:7/', 'http://2130706433:7/', 'http://[::ffff:127.0.0.1]:7/', 'http://0.0.0.0:7/', 'http://localhost:7/', 'http://[::1]:7/']) {
      expect(pointsAtDtx(u, 7), u).toBe(true);
    }
    expect(pointsAtDtx('http://127.0.0.1:8/x', 7)).toBe(false);
    // gRPC transport: host:port before the first '/', never WHATWG-normalised as an http URL
    expect(pointsAtDtx('127.0.0.1:7/pkg.Svc/Method', 7, 'grpc')).toBe(true);
    expect(pointsAtDtx('dns:///localhost:7/pkg.Svc/Method', 7, 'grpc')).toBe(true);
    expect(pointsAtDtx('http:/0177.0.0.1:7/?x=1', 7, 'grpc')).toBe(false);
    expect(pointsAtDtx('http:/0177.0.0.1:7/?x=1', 7, '')).toBe(true);
    expect(pointsAtDtx('http://127.0.0.1:7/x', 7, 'grpc')).toBe(true);
    expect(pointsAtDtx('http://10.0.0.1:7/x', 7)).toBe(false);
  });

  it('splices raw number tokens into JSON text', () => {
    expect(toJsonText({ a: new RawToken('1e400'), b: [new RawToken('-0')], c: 's' })).toBe('{"a":1e400,"b":[-0],"c":"s"}');
  });
});
