/**
 * Recursively `Object.freeze`s plain objects and arrays, in place, and returns the same value.
 * Config is resolved once and then shared by every component (STYLE L10): freezing makes an
 * accidental write throw (ESM modules are strict) instead of silently diverging.
 */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
