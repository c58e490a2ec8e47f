import { z } from 'zod';
import { INPUT_BOUNDS } from './input-bounds.js';
import { UNPRINTABLE } from '../../audit/printable.js';
import { isReservedGid, RESERVED_GID_PREFIX } from '../../log/kv-records.js';

/**
 * gid: 1..128 characters of well-formed Unicode without control or format characters. Control and
 * bidi characters would print as terminal escapes in `dtx replay` and logs; invisible format
 * characters (zero-width space, soft hyphen, ...) make two gids that print alike, so an operator
 * could act on the wrong one; a lone UTF-16 surrogate cannot be encoded in a branch call's query
 * string: the characters `printable` escapes. dtm's newGid alphabet, UUIDs and the usual
 * `prefix-123` shapes all fit.
 */
export const GID_RULE_TEXT = `must be 1-${INPUT_BOUNDS.gidMaxChars} characters of valid Unicode without control or format characters`;

export function gidProblem(gid: string): string | undefined {
  if (gid.length === 0 || [...gid].length > INPUT_BOUNDS.gidMaxChars) return GID_RULE_TEXT;
  if (UNPRINTABLE.test(gid)) return GID_RULE_TEXT;
  // dtx's own records (topics) live under this prefix in the log (docs/topics.md)
  if (isReservedGid(gid)) return `must not start with '${RESERVED_GID_PREFIX}' (reserved for dtx's own records)`;
  return undefined;
}

export const gidSchema = z.string({ error: 'expected a string' }).superRefine((gid, ctx) => {
  const problem = gidProblem(gid);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** dtm's HTTP `Escape` (spec §1.6): `\n`, `\r` and `;` are removed from gids sent over HTTP JSON. */
export function escapeHttpGid(gid: string): string {
  return gid.replace(/[\n\r;]/g, '');
}
