import { BadRequest } from '../../errors.js';
import { escapeHttpGid, gidProblem } from '../schema/gid-schema.js';
import { canonicalKeys, jsonTransInput, objectBody } from '../trans-commands.js';

/**
 * The HTTP adapter of the transaction request (spec §2.1): a JSON transaction (trans-commands.ts)
 * whose gid loses `\n\r;`, as dtm's HTTP entry points strip them.
 */

/** A transaction body as the shared schema's input. */
export function httpTransInput(body: unknown): Record<string, unknown> {
  const canon = jsonTransInput(body);
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
