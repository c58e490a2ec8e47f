import { BadRequest } from '../../errors.js';
import { INPUT_BOUNDS } from '../schema/input-bounds.js';

/** Query-string readers: integers are parsed strictly as dtm does, but answer 400 naming the key. */
export function strParam(q: Record<string, unknown>, key: string, max = 256): string {
  const v = q[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new BadRequest(`${key}: expected a single string value`);
  if (v.length > max) throw new BadRequest(`${key}: must be at most ${max} characters`);
  return v;
}

export function intParam(q: Record<string, unknown>, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const s = strParam(q, key, 20);
  if (s === '') return fallback;
  if (!/^-?\d+$/.test(s)) throw new BadRequest(`${key}: convert to int error: ${s}`);
  const n = Number(s);
  if (n < min || n > max) throw new BadRequest(`${key}: must be between ${min} and ${max}, got ${s}`);
  return n;
}

/** A filter word (`status`, `transType`): '' or a short identifier; anything else can match nothing. */
export function wordParam(q: Record<string, unknown>, key: string): string {
  const s = strParam(q, key, 32);
  if (s !== '' && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(s)) throw new BadRequest(`${key}: must be a word such as submitted or saga`);
  return s;
}

/** `all?position=`: the opaque cursor a previous page returned. */
export function positionParam(q: Record<string, unknown>): string {
  const s = strParam(q, 'position', INPUT_BOUNDS.positionMaxChars);
  if (s !== '' && !/^[A-Za-z0-9_-]+$/.test(s)) throw new BadRequest('position: not a cursor returned by a previous page (next_position)');
  return s;
}
