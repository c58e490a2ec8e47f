import { describe, expect, it } from 'vitest';
import { errorKind, RepeatGate } from '../../../src/observability/repeat-gate.js';

describe('RepeatGate', () => {
  it('lets the first of a kind through, then one per window with the count held back', () => {
    let t = 0;
    const gate = new RepeatGate(1000, () => t);
    expect(gate.pass('full')).toBe(0);
    expect([gate.pass('full'), gate.pass('full')]).toEqual([undefined, undefined]);
    expect(gate.pass('io')).toBe(0); // another kind has a window of its own
    t = 999;
    expect(gate.pass('full')).toBeUndefined();
    t = 1000;
    expect(gate.pass('full')).toBe(3);
    t = 5000;
    expect(gate.pass('full')).toBe(0); // nothing held back in between
  });

  it('with maxWindowMs, doubles the window of a kind that keeps recurring, up to the cap, and starts over after a quiet window', () => {
    let t = 0;
    const gate = new RepeatGate(1000, () => t, 64, 4000);
    const passedAt: number[] = [];
    // one failure every 100 ms for 20 s: lines at 0, then after windows of 1, 2, 4, 4, ... s
    for (; t < 20_000; t += 100) if (gate.pass('away') !== undefined) passedAt.push(t);
    expect(passedAt).toEqual([0, 1000, 3000, 7000, 11_000, 15_000, 19_000]);
    expect(gate.pass('away')).toBeUndefined();
    // then quiet for longer than a window: let through with what was held before, and the window is 1 s again
    t = 30_000;
    expect(gate.pass('away')).toBe(10);
    t = 30_999;
    expect(gate.pass('away')).toBeUndefined();
    t = 31_000;
    expect(gate.pass('away')).toBe(1);
  });

  it('with maxWindowMs, also grows the window of a kind that comes back a little after each window (nothing held back)', () => {
    let t = 0;
    const gate = new RepeatGate(1000, () => t, 64, 8000);
    const passedAt: number[] = [];
    // a consumer crashing every 1.4 s: never inside a 1 s window, yet recurring
    for (; t < 30_000; t += 1400) if (gate.pass('crash') !== undefined) passedAt.push(t);
    expect(passedAt).toEqual([0, 1400, 4200, 8400, 16_800, 25_200]);
  });

  it('without maxWindowMs keeps one window', () => {
    let t = 0;
    const gate = new RepeatGate(1000, () => t);
    const passedAt: number[] = [];
    for (; t < 5000; t += 100) if (gate.pass('away') !== undefined) passedAt.push(t);
    expect(passedAt).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('remembers at most maxKinds kinds: the one let through longest ago is forgotten first', () => {
    const gate = new RepeatGate(1000, () => 0, 2);
    expect([gate.pass('a'), gate.pass('b')]).toEqual([0, 0]);
    expect(gate.pass('a')).toBeUndefined();
    expect(gate.pass('c')).toBe(0); // 'a' was let through first: forgotten
    expect(gate.pass('b')).toBeUndefined();
    expect(gate.pass('a')).toBe(0);
  });

  it('clear() forgets every kind and says how many were held back', () => {
    const gate = new RepeatGate(1000, () => 0);
    gate.pass('a');
    gate.pass('a');
    gate.pass('b');
    gate.pass('b');
    gate.pass('b');
    expect(gate.clear()).toBe(3);
    expect(gate.pass('a')).toBe(0); // let through at once
    expect(gate.clear()).toBe(0);
  });

  it('names an error by its code and message, the message cut at 200 characters, numbers masked', () => {
    const err = Object.assign(new Error(`disk full ${'x'.repeat(300)}`), { code: 'DTX_LOG_UNAVAILABLE' });
    expect(errorKind(err)).toBe(`DTX_LOG_UNAVAILABLE:${err.message.slice(0, 200)}`);
    const p = (n: number) => Object.assign(new Error(`write to partition ${n} failed after 5 tries`), { code: 'DTX_LOG_UNAVAILABLE' });
    expect(errorKind(p(3))).toBe(errorKind(p(1023)));
    expect(errorKind(p(3))).toBe('DTX_LOG_UNAVAILABLE:write to partition # failed after # tries');
    expect(errorKind('plain')).toBe(':plain');
    expect(errorKind(null)).toBe(':null');
  });
});
