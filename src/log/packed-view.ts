import { Internal } from '../errors.js';
import { LongTextLengths } from './long-text-lengths.js';

/**
 * The stored form of a view (TransSummary.view). A view repeats each payload: decoded in the
 * transaction's `payloads`, base64 in the `bin_data` of every branch that carries it (a saga step's
 * action and compensation). Its row is replaced at every commit of the transaction, so at 4 KiB
 * payloads most of the log's bytes were these repeats (docs/benchmarks.md, "Long payloads").
 *
 * A view without a long string (LONG characters or more) among its payloads and bin_data is stored
 * as its dtm JSON text. One with long strings is stored packed, each distinct long string once:
 *
 *     U+0001 <length of the dtm text> (U+0001 <length of string k>)* U+0002 <string 0><string 1>… <skeleton>
 *
 * The skeleton is the dtm text with each long value replaced by a reference, U+0003 `p`k U+0003
 * (string k is base64: its decoded UTF-8 text as a JSON string, an entry of `payloads`) or U+0003
 * `b`k U+0003 (string k itself as a JSON string: a `bin_data`). JSON escapes every control
 * character, so a stored text starting with `{` is dtm text and a packed one starts with U+0001;
 * the strings are delimited by their lengths, so they may hold anything. Packed views need schema
 * version 3 of the embedded log (sqlite-schema.ts).
 */
export const LONG = 256;

const PACKED = '\u0001';
const STRINGS_END = '\u0002';
const REF = '\u0003';

/** Bound of each memo of JSON text lengths, in characters of keys (docs/limits.md). */
const LONG_KEYS_CHARS = 4 * 1024 * 1024;

/** A payload's decoded UTF-8 text. */
export function utf8(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

const payloadText = (b64: string): string => JSON.stringify(utf8(b64));
const binText = (s: string): string => JSON.stringify(s);

// a view is packed again at each commit of its transaction and its header needs the dtm text's
// length; JSON.stringify scans and copies a long string at ~4 ns a character, so the lengths are remembered
const payloadLengths = new LongTextLengths(payloadText, LONG_KEYS_CHARS);
const binLengths = new LongTextLengths(binText, LONG_KEYS_CHARS);

/**
 * Collects the long strings of one view while its skeleton is written: `payload` and `bin` give
 * the text to write where the value stands, `text` the stored form of the finished skeleton.
 */
export class ViewPacker {
  readonly #strings: string[] = [];
  /** Characters the dtm text has beyond the skeleton's. */
  #extra = 0;

  /** An entry of the transaction's `payloads`, from its base64. */
  payload(b64: string): string {
    return b64.length < LONG ? JSON.stringify(utf8(b64)) : this.#ref('p', b64, payloadLengths.of(b64));
  }

  /** A branch's `bin_data`. */
  bin(s: string): string {
    return s.length < LONG ? JSON.stringify(s) : this.#ref('b', s, binLengths.of(s));
  }

  text(skeleton: string): string {
    const strings = this.#strings;
    if (strings.length === 0) return skeleton;
    let head = `${PACKED}${skeleton.length + this.#extra}`;
    for (const s of strings) head += `${PACKED}${s.length}`;
    return `${head}${STRINGS_END}${strings.join('')}${skeleton}`;
  }

  #ref(kind: 'p' | 'b', s: string, chars: number): string {
    let k = this.#strings.indexOf(s);
    if (k < 0) k = this.#strings.push(s) - 1;
    const ref = `${REF}${kind}${k}${REF}`;
    this.#extra += chars - ref.length;
    return ref;
  }
}

const isPacked = (stored: string): boolean => stored.charCodeAt(0) === 1;

function malformed(why: string): Internal {
  return new Internal(`a stored view is malformed (${why})`);
}

function count(text: string, what: string): number {
  const n = Number(text);
  if (text === '' || !Number.isSafeInteger(n) || n < 0) throw malformed(`${what} is ${JSON.stringify(text.slice(0, 20))}`);
  return n;
}

/** The view's dtm JSON text (what query and all answer). Throws Internal when a packed text is malformed. */
export function dtmViewText(stored: string): string {
  if (!isPacked(stored)) return stored;
  const end = stored.indexOf(STRINGS_END);
  if (end < 0) throw malformed('no end of its strings');
  const lengths = stored.slice(1, end).split(PACKED);
  const chars = count(lengths[0]!, 'its length');
  const strings: string[] = [];
  let at = end + 1;
  for (let i = 1; i < lengths.length; i++) {
    const n = count(lengths[i]!, `string ${i - 1}'s length`);
    if (at + n > stored.length) throw malformed(`string ${i - 1} ends past the text`);
    strings.push(stored.slice(at, at + n));
    at += n;
  }
  const parts = stored.slice(at).split(REF);
  if (parts.length % 2 === 0) throw malformed('a reference is not closed');
  // a saga step's payload is referenced by both its branches: each text is rendered once here
  const texts = new Map<string, string>();
  for (let i = 1; i < parts.length; i += 2) {
    const ref = parts[i]!;
    const s = strings[count(ref.slice(1), 'a reference')];
    if (s === undefined || (ref[0] !== 'p' && ref[0] !== 'b')) throw malformed(`reference ${JSON.stringify(ref.slice(0, 20))}`);
    let text = texts.get(ref);
    if (text === undefined) texts.set(ref, (text = ref[0] === 'p' ? payloadText(s) : binText(s)));
    parts[i] = text;
  }
  const text = parts.join('');
  if (text.length !== chars) throw malformed(`${text.length} characters, ${chars} announced`);
  return text;
}

/** Characters of the view's dtm JSON text or of its stored form, whichever is more, read without building the dtm text. */
export function viewChars(stored: string): number {
  if (!isPacked(stored)) return stored.length;
  const end = stored.indexOf(PACKED, 1);
  const n = Number(stored.slice(1, end < 0 ? stored.indexOf(STRINGS_END) : end));
  // a bound for the bounds that read it (a page, a view): never less than the stored text itself
  return Number.isSafeInteger(n) ? Math.max(n, stored.length) : stored.length;
}
