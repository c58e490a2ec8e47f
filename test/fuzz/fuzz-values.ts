import fc from 'fast-check';

/**
 * Hostile JSON values for the fuzz: strings that break encoders and terminals, numbers at and past
 * every bound dtx has (input-bounds.ts) and past JS precision, nested junk, keys in random case.
 * A `RawToken` stands for JSON text that JSON.stringify cannot produce (`1e400`, `-0`, `NaN`) and is
 * spliced in by `toJsonText`.
 */
export class RawToken {
  constructor(readonly text: string) {}
}

/** Characters that have broken something somewhere: surrogates, controls, CRLF, bidi, separators. */
export const NASTY_CHARS = [
  '\ud800', '\udfff', '\udbff\udbff', '\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009b',
  '\r\n', '\n', '\r', ';', '\t', '\u202e', '\u2066', '\u2069', '\u200f', '\u061c', '\ufeff', '\u2028',
  '\u2029', '\ufffe', '\uffff', '😀', 'e\u0301', '%', '%00', '&', '#', '?', '/', '\\', '"', "'", '<', ' ',
] as const;

/** Lengths at the bounds of gid (128), URLs (2048), header values (4096) and custom_data (65536). */
export const EDGE_LENGTHS = [0, 1, 127, 128, 129, 2047, 2048, 2049, 4096, 4097, 65_535, 65_536, 65_537] as const;

export const nastyChar = fc.constantFrom(...NASTY_CHARS);

/** A string of `n` characters, built from a repeated unit (cheap for 64 KiB strings). */
export const longString = fc.tuple(fc.constantFrom(...EDGE_LENGTHS), fc.constantFrom('x', 'é', '😀', '\u0000', '\ud800', 'ab;'))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

/** Short strings mixing plain text with nasty characters. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.oneof(nastyChar, fc.string({ maxLength: 4 })), { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'null', 'true', '1e300', 'NaN', 'Infinity', '-1', '0x10', ' 10', '10 ', '{}', '[]') },
  { weight: 1, arbitrary: longString },
);

const DAY = 86_400;
const YEAR = 365 * DAY;
/** Numbers at and around dtx's bounds, JS limits and the largest date. */
export const EDGE_NUMBERS = [
  0, 1, -1, 0.5, -0.5, 1.5, 2, 3, 10, DAY - 1, DAY, DAY + 1, YEAR, YEAR + 1, 2_147_483, 2_147_484, 2_147_483_647, 2_147_483_648,
  4_294_967_296, 8_639_999_999_999, 8_640_000_000_000, 8.64e15, 8.64e15 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1, 1e21, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 1000, 1001,
] as const;

/** Number-ish JSON text JSON.stringify never writes; the last ones make the body invalid JSON. */
export const RAW_NUMBERS = ['1e400', '-1e400', '9007199254740993', '1E2', '-0', '0.1e1', '1.0', '86400.0', '1e-400', 'NaN', 'Infinity', '-Infinity', '01', '+1', '0x10', '.5'] as const;

export const edgeNumber: fc.Arbitrary<number | RawToken> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((t) => new RawToken(t)) },
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 3, arbitrary: edgeNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
);

const junkKey = fc.oneof(nastyString, fc.constantFrom('gid', 'action', 'compensate', 'data', '__proto__', 'constructor', '0', '-1'));

/** Nested junk: objects, arrays and leaves, a few levels deep. */
export const junkValue: fc.Arbitrary<unknown> = fc.letrec<{ junk: unknown }>((tie) => ({
  junk: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(tie('junk'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(junkKey, tie('junk'), { maxKeys: 4 }) },
  ),
})).junk;

/** `key` with each letter's case flipped by a random mask (Go matches JSON keys case-insensitively). */
export function randomCase(key: string): fc.Arbitrary<string> {
  return fc.nat().map((mask) => [...key].map((c, i) => ((mask >> (i % 31)) & 1 ? c.toUpperCase() : c)).join(''));
}

/** JSON text of `value`, with every RawToken spliced in verbatim. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RawToken) {
      raws.push(v.text);
      return `\u0000RAW${raws.length - 1}\u0000`;
    }
    return v;
  }) ?? 'null';
  return text.replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}
