import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BodyBudget } from '../../../src/ingress/http/body-budget.js';
import { ReadBudget } from '../../../src/ingress/read-budget.js';

/** HTTP bodies being read against the shared ReadBudget (HttpMaxBodyBytesInFlight). */
const request = (headers: Record<string, string>) => Object.assign(new EventEmitter(), { headers }) as unknown as IncomingMessage;
const response = () => new EventEmitter() as unknown as ServerResponse;

describe('BodyBudget', () => {
  it('reserves each body by its Content-Length, the limit when chunked; refuses past the cap; releases once at the end', () => {
    const shared = new ReadBudget(3000);
    const budget = new BodyBudget(shared, 1000);
    const a = request({ 'content-length': '600' });
    const b = request({ 'transfer-encoding': 'chunked' });
    const c = request({ 'content-length': '5000' }); // refused 413 later: holds at most the limit
    expect([budget.admit(a, response()), budget.admit(b, response()), budget.admit(c, response())]).toEqual([true, true, true]);
    expect(shared.held).toBe(2600);
    expect(budget.admit(request({ 'content-length': '401' }), response())).toBe(false);
    expect(budget.admit(request({}), response())).toBe(true); // no body: nothing to hold
    a.emit('end');
    a.emit('close');
    expect(shared.held).toBe(2000);
    expect(budget.admit(request({ 'content-length': '1000' }), response())).toBe(true);
    expect(shared.held).toBe(3000);
  });

  it('releases a body never read when the response closes, and always admits one largest body', () => {
    const shared = new ReadBudget(10);
    const budget = new BodyBudget(shared, 1000);
    expect(budget.cap).toBe(10);
    const res = response();
    expect(budget.admit(request({ 'content-length': '1000' }), res)).toBe(true);
    expect(budget.admit(request({ 'content-length': '1' }), response())).toBe(false);
    res.emit('close');
    expect(shared.held).toBe(0);
  });

  it('refuses while a gRPC call waits for the budget, so that HTTP cannot starve it', () => {
    const shared = new ReadBudget(1000);
    const budget = new BodyBudget(shared, 1000);
    const held = shared.tryReserve(900)!;
    let granted = false;
    shared.reserve(1000, () => (granted = true));
    expect(budget.admit(request({ 'content-length': '50' }), response())).toBe(false);
    held();
    expect(granted).toBe(true);
  });
});
