import { BadRequest } from '../../errors.js';
import { escapeHttpGid, gidProblem } from '../schema/gid-schema.js';
import { canonicalKeys, jsonTransInput, objectBody } from '../trans-commands.js';
import { flatStringObject, type BranchInput } from '../schema/branch-input-schema.js';

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

/** A registerBranch body (spec §3.3.5): a flat object of strings; the gid loses `\n\r;` as above. */
export function httpBranchInput(body: unknown): BranchInput {
  const fields = { ...flatStringObject(body, 'request body') };
  if (typeof fields.gid === 'string') fields.gid = escapeHttpGid(fields.gid);
  return { fields, protocol: 'http' };
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
