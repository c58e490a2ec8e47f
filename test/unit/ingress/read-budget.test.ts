import { describe, expect, it } from 'vitest';
import { ReadBudget, type Release } from '../../../src/ingress/read-budget.js';

/** The bytes being read over both ingresses (HttpMaxBodyBytesInFlight): HTTP tries, gRPC waits. */
describe('ReadBudget', () => {
  it('reserves up to the cap, refuses past it, takes a reservation larger than the cap as the cap, releases once', () => {
    const budget = new ReadBudget(1000);
    const a = budget.tryReserve(600);
    expect(a).toBeDefined();
    expect(budget.tryReserve(401)).toBeUndefined();
    const b = budget.tryReserve(400);
    expect(budget.held).toBe(1000);
    a!();
    a!();
    expect(budget.held).toBe(400);
    b!();
    const huge = budget.tryReserve(5000);
    expect(budget.held).toBe(1000);
    huge!();
    expect(budget.held).toBe(0);
  });

  it('grants waiters in the order they asked once bytes are released; tryReserve cannot overtake them', () => {
    const budget = new ReadBudget(1000);
    const first = budget.tryReserve(1000)!;
    const granted: string[] = [];
    const releases: Record<string, Release> = {};
    const ask = (name: string, bytes: number) => budget.reserve(bytes, (release) => {
      granted.push(name);
      releases[name] = release;
    });
    ask('x', 700);
    ask('y', 200);
    ask('z', 500);
    expect([granted, budget.waiting]).toEqual([[], 3]);
    expect(budget.tryReserve(1)).toBeUndefined();
    first();
    expect(granted).toEqual(['x', 'y']); // z does not fit beside them
    expect(budget.tryReserve(100)).toBeUndefined(); // z waits: 100 would fit, but not before it
    releases.x!();
    expect(granted).toEqual(['x', 'y', 'z']);
    expect([budget.held, budget.waiting]).toEqual([700, 0]);
    releases.y!();
    releases.z!();
    expect(budget.held).toBe(0);
  });

  it('forgets a withdrawn waiter, and lets those behind it go when it was the one holding them back', () => {
    const budget = new ReadBudget(1000);
    const held = budget.tryReserve(600)!;
    const granted: string[] = [];
    const withdrawBig = budget.reserve(900, () => granted.push('big'));
    budget.reserve(300, () => granted.push('small'));
    expect(budget.waiting).toBe(2);
    withdrawBig();
    expect([granted, budget.waiting, budget.held]).toEqual([['small'], 0, 900]);
    held();
    expect(granted).toEqual(['small']);
  });

  it('grants at once when nothing waits; a grant that releases at once lets the next waiter in without recursion', () => {
    const budget = new ReadBudget(100);
    let now = false;
    budget.reserve(10, (release) => {
      now = true;
      release();
    });
    expect([now, budget.held]).toEqual([true, 0]);
    const hold = budget.tryReserve(100)!;
    const order: number[] = [];
    for (let i = 0; i < 5000; i++) budget.reserve(100, (release) => {
      order.push(i);
      release();
    });
    hold();
    expect(order.length).toBe(5000);
    expect(order.slice(0, 3)).toEqual([0, 1, 2]);
    expect([budget.held, budget.waiting]).toEqual([0, 0]);
  });
});
