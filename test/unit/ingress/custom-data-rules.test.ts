import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { msgCustomDataProblem, sagaCustomDataProblem } from '../../../machines/index.js';

describe('custom_data rules', () => {
  it.each<[string, number, string | undefined]>([
    ['{"concurrent":true,"orders":{"1":[0],"2":[0,1]}}', 3, undefined],
    ['{"concurrent":true,"orders":{"0":[1],"1":[0]}}', 2, 'custom_data.orders has a cycle (0 -> 1 -> 0): no step of it could ever start'],
    ['{"orders":{"0":[2],"2":[1],"1":[0]}}', 3, 'custom_data.orders has a cycle (0 -> 2 -> 1 -> 0)'],
    ['{"orders":{"5":[0]}}', 2, "custom_data.orders key '5' is not a step index"],
    ['{"orders":{"1":[1]}}', 2, "custom_data.orders['1'] must list other step indexes (0..1)"],
    ['{"concurrent":"yes"}', 2, 'custom_data.concurrent must be a boolean'],
    // '01' and '1' both name step 1 for Go; the machine reads only '1': a second key is refused
    ['{"concurrent":true,"orders":{"0":[1],"01":[],"1":[0]}}', 2, "custom_data.orders key '01' is not a step index"],
    // sequential: step 1 runs after step 0, so step 0 waiting for step 1 never starts
    ['{"orders":{"0":[1]}}', 2, 'custom_data.orders has a cycle (0 -> 1 -> 0)'],
    ['{"concurrent":true,"orders":{"0":[1]}}', 2, undefined],
    ['{"orders":{"2":[0]}}', 3, undefined],
    ['{', 1, 'custom_data is not valid JSON'],
  ])('saga %s', (text, steps, message) => {
    const p = sagaCustomDataProblem(text, steps);
    if (message === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(message);
  });

  it.each<[string, string | undefined]>([
    ['{"delay":10}', undefined],
    ['{"Delay":0}', undefined],
    ['{"delay":1e300}', 'custom_data.delay must be an integer 0..31536000 (seconds)'],
    ['{"delay":-1}', 'custom_data.delay must be an integer'],
    ['{"delay":1.5}', 'custom_data.delay must be an integer'],
    ['{"delay":"10"}', 'custom_data.delay must be an integer'],
  ])('msg %s', (text, message) => {
    const p = msgCustomDataProblem(text);
    if (message === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(message);
  });

  it('accepts every acyclic order and refuses every order with a cycle (a sequential saga adds k-1 -> k)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 20 }), fc.boolean())), ([n, edges, concurrent]) => {
        const orders: Record<string, number[]> = {};
        for (const [k, d] of edges) if (k !== d && !(orders[k] ?? []).includes(d)) (orders[k] ??= []).push(d);
        const p = sagaCustomDataProblem(JSON.stringify({ concurrent, orders }), n);
        const all: Record<string, number[]> = structuredClone(orders);
        if (!concurrent) for (let k = 1; k < n; k += 1) if (!(all[k] ?? []).includes(k - 1)) (all[k] ??= []).push(k - 1);
        expect(p === undefined).toBe(isAcyclic(n, all));
      }),
      { numRuns: 300 },
    );
  });
});

/** Kahn's algorithm, the independent oracle. */
function isAcyclic(n: number, orders: Record<string, number[]>): boolean {
  const indeg = new Array<number>(n).fill(0);
  for (const deps of Object.values(orders)) for (const d of deps) indeg[d]! += 1;
  const queue = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  let seen = 0;
  while (queue.length > 0) {
    const k = queue.pop()!;
    seen += 1;
    for (const d of orders[String(k)] ?? []) if (--indeg[d]! === 0) queue.push(d);
  }
  return seen === n;
}
