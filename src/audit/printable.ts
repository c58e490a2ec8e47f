/**
 * Text from the log (gids, branch answers, error causes) as it may be printed to a terminal:
 * control, bidi-override and invalid UTF-16 characters become visible `\u{…}` escapes, so a gid or a
 * branch answer can never move the cursor, recolour the screen or reorder what an operator reads.
 */
const UNSAFE = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/gu;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
