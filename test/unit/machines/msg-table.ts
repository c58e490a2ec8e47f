import { expect } from 'vitest';
import { msgMachine, type TransSpec } from '../../../machines/index.js';
import { Harness, makeCreated, makeSpec, msgSteps, sec } from './builders.js';

/** Shared starts of the MSG machine's tests: a message prepared with a query-back URL, or submitted. */

export const QUERY = 'http://busi.test/api/QueryPrepared';
export const P = 'prepared';
export const S = 'succeed';

export function prepared(spec: TransSpec = makeSpec({ transType: 'msg', steps: msgSteps(2), queryPrepared: QUERY })): Harness {
  const h = new Harness(msgMachine);
  const s = h.send(makeCreated(spec, 'prepared', sec(0)));
  expect(s.effects).toEqual([]);
  expect(h.status).toBe('prepared');
  return h;
}

export function submitted(spec: TransSpec): Harness {
  const h = new Harness(msgMachine);
  h.send(makeCreated(spec, 'submitted', sec(0)));
  return h;
}
