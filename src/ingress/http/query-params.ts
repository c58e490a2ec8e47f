import { BadInput } from './trans-request.js';

/** Query-string readers: integers are parsed strictly as dtm does, but answer 400 naming the key. */
export function strParam(q: Record<string, unknown>, key: string): string {
  const v = q[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new BadInput(`${key}: expected a single string value`);
  return v;
}

export function intParam(q: Record<string, unknown>, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const s = strParam(q, key);
  if (s === '') return fallback;
  if (!/^-?\d+$/.test(s)) throw new BadInput(`${key}: convert to int error: ${s}`);
  const n = Number(s);
  if (n < min || n > max) throw new BadInput(`${key}: must be between ${min} and ${max}, got ${s}`);
  return n;
}
