import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BodyBudget } from '../../../src/ingress/http/body-budget.js';

/** The bytes of request bodies being read at once (HttpMaxBodyBytesInFlight). */
const request = (headers: Record<string, string>) => Object.assign(new EventEmitter(), { headers }) as unknown as IncomingMessage;
const response = () => new EventEmitter() as unknown as ServerResponse;

describe('BodyBudget', () => {
  it('reserves each body by its Content-Length, the limit when chunked; refuses past the cap; releases once at the end', () => {
    const budget = new BodyBudget(3000, 1000);
    const a = request({ 'content-length': '600' });
    const b = request({ 'transfer-encoding': 'chunked' });
    const c = request({ 'content-length': '5000' }); // refused 413 later: holds at most the limit
    expect([budget.admit(a, response()), budget.admit(b, response()), budget.admit(c, response())]).toEqual([true, true, true]);
    expect(budget.held).toBe(2600);
    expect(budget.admit(request({ 'content-length': '401' }), response())).toBe(false);
    expect(budget.admit(request({}), response())).toBe(true); // no body: nothing to hold
    a.emit('end');
    a.emit('close');
    expect(budget.held).toBe(2000);
    expect(budget.admit(request({ 'content-length': '1000' }), response())).toBe(true);
    expect(budget.held).toBe(3000);
  });

  it('releases a body never read when the response closes, and always admits one largest body', () => {
    const budget = new BodyBudget(10, 1000);
    expect(budget.cap).toBe(1000);
    const res = response();
    expect(budget.admit(request({ 'content-length': '1000' }), res)).toBe(true);
    expect(budget.admit(request({ 'content-length': '1' }), response())).toBe(false);
    res.emit('close');
    expect(budget.held).toBe(0);
  });
});
