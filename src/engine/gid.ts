import { randomBytes } from 'node:crypto';

/** lithammer/shortuuid's alphabet (spec §1.6). */
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BASE = BigInt(ALPHABET.length);
const LENGTH = 22;

/** A random UUIDv4 encoded in base57, 22 characters, as dtm's `newGid` returns. */
export function newGid(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
  let n = BigInt(`0x${b.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % BASE)]! + out;
    n /= BASE;
  }
  return out.padStart(LENGTH, ALPHABET[0]);
}
