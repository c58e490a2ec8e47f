import { BadRequest } from '../../errors.js';
import { TRANS_KEYS } from '../schema/trans-input-schema.js';
import { escapeHttpGid, gidProblem } from '../schema/gid-schema.js';

/**
 * The HTTP adapter of the transaction request (spec §2.1): Go's encoding/json matches keys
 * case-insensitively and ignores unknown keys, and dtm's HTTP entry points strip `\n\r;` from the
 * gid. The result goes to the shared schema (src/ingress/schema), which names the offending field.
 */
const KNOWN_KEYS = new Map(TRANS_KEYS.map((k) => [k.toLowerCase(), k]));

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Go-style case-insensitive key matching for the known fields; the exact spelling wins. */
export function canonicalKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const canon = KNOWN_KEYS.get(k.toLowerCase());
    if (canon !== undefined && (out[canon] === undefined || k === canon)) out[canon] = v;
  }
  return out;
}

/** A transaction body as the shared schema's input. */
export function httpTransInput(body: unknown): Record<string, unknown> {
  const canon = canonicalKeys(objectBody(body));
  if (typeof canon.gid === 'string') canon.gid = escapeHttpGid(canon.gid);
  return canon;
}

/** Bodies of forceStop / resetNextCronTime: only `gid` is read. */
export function parseGidBody(body: unknown): string {
  const canon = canonicalKeys(objectBody(body));
  if (canon.gid === undefined || canon.gid === '') throw new BadRequest('gid is required');
  if (typeof canon.gid !== 'string') throw new BadRequest('gid: expected a string');
  return checkedGid(escapeHttpGid(canon.gid));
}

/** A gid from a query string or body, checked against the gid rule. */
export function checkedGid(gid: string): string {
  const problem = gidProblem(gid);
  if (problem !== undefined) throw new BadRequest(`gid: ${problem}`);
  return gid;
}
