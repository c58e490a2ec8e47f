/**
 * XState's merge, `Object.assign({}, old, update)`. When `update` is a plain object holding old's
 * keys first and in old's order (a step that returns a whole new context, as the built-in machines
 * do), that merge equals `update` itself, which is taken as is: contexts are immutable JSON data
 * (snapshots persist them as JSON; no symbol keys, no accessors), so sharing the object the step
 * returned changes nothing, and copying it was 6-8% of the audit (docs/benchmarks.md, "Replay").
 */
export function merged(old: object, update: object): object {
  if (update === old || Object.getPrototypeOf(update) !== Object.prototype) return Object.assign({}, old, update);
  const keys = Object.keys(update);
  let i = 0;
  for (const k in old) if (keys[i++] !== k) return Object.assign({}, old, update);
  // an own `__proto__` key: Object.assign would set the prototype, the object has it as a key
  return Object.hasOwn(update, '__proto__') ? Object.assign({}, old, update) : update;
}
