/**
 * Text from the log (gids, branch answers, error causes) as it may be printed to a terminal:
 * control (C0, DEL, C1 such as CSI U+009B and OSC U+009D), format (\p{Cf}: bidi overrides and
 * isolates, zero-width and invisible characters such as U+200B, U+00AD, U+FEFF), line/paragraph
 * separator and invalid UTF-16 characters become visible `\u{…}` escapes, so a gid or a branch
 * answer can never move the cursor, recolour the screen or reorder what an operator reads, and two
 * gids that differ only by an invisible character print differently.
 *
 * Known limit: a text that literally contains `\u{200b}` prints like one holding U+200B; only text
 * already carrying a visible backslash can look like an escape.
 */
/** One character `printable` escapes (the gid rule refuses the same, gid-schema.ts). */
export const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
const UNSAFE = new RegExp(UNPRINTABLE.source, 'gu');

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * The characters JSON.stringify leaves raw in its output that a terminal acts on or hides: DEL, C1
 * controls, U+2028/U+2029 and every \p{Cf} format character (bidi, zero-width, tags). C0 controls
 * and lone surrogates are escaped by JSON.stringify itself; outside strings its output is ASCII.
 */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/** `\uXXXX` for each UTF-16 unit of `c` (an astral format character becomes a surrogate pair). */
function jsonEscape(c: string): string {
  let escaped = '';
  for (let i = 0; i < c.length; i++) escaped += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return escaped;
}

/**
 * JSON.stringify(value, null, indent) for a terminal (`--json` output): the same JSON text, except
 * that the characters of JSON_UNSAFE inside strings are written as `\uXXXX` escapes, so the output
 * holds no raw terminal-active or invisible character and JSON.parse gives back the same value.
 * A value JSON cannot represent (undefined, a function) prints as `null`.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent) as string | undefined;
  return (json ?? 'null').replace(JSON_UNSAFE, jsonEscape);
}
