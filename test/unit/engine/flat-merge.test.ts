import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { merged } from '../../../src/engine/flat-merge.js';

/**
 * `merged` is XState's assign merge, `Object.assign({}, old, update)`, with a fast path for a plain
 * update (not old itself) that holds old's keys first and in old's order: that update is the
 * result. Either way the result has the same keys in the same order, the same values and the same
 * prototype as Object.assign's, and is never old.
 */

function takenAsIs(old: object, update: object): boolean {
  const oldKeys = Object.keys(old);
  const keys = Object.keys(update);
  return update !== old && Object.getPrototypeOf(update) === Object.prototype && !Object.hasOwn(update, '__proto__') && oldKeys.every((k, i) => keys[i] === k);
}

function expectSameAsAssign(old: object, update: object): void {
  const want = Object.assign({}, old, update) as Record<string, unknown>;
  const got = merged(old, update) as Record<string, unknown>;
  if (takenAsIs(old, update)) expect(got).toBe(update);
  else expect(got).not.toBe(update);
  expect(got).not.toBe(old);
  expect(Object.keys(got)).toEqual(Object.keys(want));
  expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(want));
  for (const k of Object.keys(want)) expect(got[k]).toBe(want[k]);
}

describe('merged (the flat fold assign)', () => {
  it('a whole new context with the same keys in the same order: that context', () => {
    const old = { a: 1, b: 'x', c: undefined };
    const update = { ...old, b: 'y', c: 3 };
    expectSameAsAssign(old, update);
    expect(merged(old, update)).toBe(update);
    expect(merged(old, update)).toEqual({ a: 1, b: 'y', c: 3 });
  });

  it('old itself, or an update that is not a plain object: a new object, as Object.assign makes', () => {
    const old = { a: 1, b: 2 };
    expectSameAsAssign(old, old);
    class Ctx {
      a = 3;
      b = 4;
    }
    const update = new Ctx();
    expectSameAsAssign(old, update);
    expect(Object.getPrototypeOf(merged(old, update))).toBe(Object.prototype);
  });

  it('extra keys after old ones are appended; keys in another order or missing keep old positions', () => {
    expectSameAsAssign({ a: 1, b: 2 }, { a: 3, b: 4, z: 5 });
    expectSameAsAssign({ a: 1, b: 2 }, { b: 4, a: 3 });
    expectSameAsAssign({ a: 1, b: 2, c: 3 }, { a: 9, c: 8 });
    expectSameAsAssign({ a: 1, b: 2 }, { z: 1, a: 2, b: 3 });
    expectSameAsAssign({ a: 1 }, {});
    expectSameAsAssign({}, { a: 1 });
  });

  it('integer-like keys, which every copy orders first, are merged as Object.assign merges them', () => {
    expectSameAsAssign({ b: 1, 2: 'x', a: 2 }, { b: 3, 2: 'y', a: 4 });
    expectSameAsAssign({ b: 1, a: 2 }, { b: 3, a: 4, 1: 'z' });
  });

  it('an own __proto__ key in the update sets the prototype, as Object.assign does', () => {
    const old = { a: 1 };
    const update = JSON.parse('{"a":2,"__proto__":{"polluted":true}}') as object;
    expectSameAsAssign(old, update);
    expect((merged(old, update) as { polluted?: boolean }).polluted).toBe(true);
    expect(Object.hasOwn(merged(old, update), '__proto__')).toBe(false);
  });

  it('any two key lists: the same result as Object.assign', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', '0', '7');
    const obj = fc.uniqueArray(fc.tuple(key, fc.integer()), { selector: ([k]) => k, maxLength: 7 }).map((kv) => Object.fromEntries(kv) as object);
    fc.assert(
      fc.property(obj, obj, fc.boolean(), (old, other, prefix) => {
        // half the runs: an update that starts with old's keys in old's order (the fast path)
        const update = prefix ? { ...Object.fromEntries(Object.keys(old).map((k) => [k, 1])), ...other } : other;
        expectSameAsAssign(old, update);
      }),
      { numRuns: 500 },
    );
  });
});
