import { BRANCH_URL_FIELDS, type BranchRegistration } from '../../../machines/index.js';
import { BadRequest } from '../../errors.js';
import { INPUT_BOUNDS as B } from './input-bounds.js';
import { gidProblem } from './gid-schema.js';
import { branchUrlProblem, type BranchUrlRules } from './branch-url-rule.js';

/**
 * The request schema of `registerBranch` (spec §3.3.5, §10.2), shared by the HTTP, gRPC and JSON-RPC
 * ingresses: a flat map of strings (`gid`, `trans_type`, `branch_id`, `data` and the type's own
 * fields: `confirm`/`cancel` for tcc, `url` for xa, `op`/`status` for workflow) plus the payload
 * (HTTP `data` as UTF-8 text, gRPC `BusiPayload` bytes). Errors are BadRequest naming the field.
 */
export interface BranchInput {
  /** Every string field of the request, `data` excluded when the payload comes as bytes. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** gRPC `BusiPayload`; undefined: the payload is the `data` field. */
  readonly payload?: Uint8Array;
  /** The protocol the branch URLs are checked for (`grpc` for the gRPC ingress, else `http`). */
  readonly protocol: string;
}

export interface ParsedBranch {
  readonly gid: string;
  readonly transType: string;
  readonly registration: BranchRegistration;
}

const BRANCH_ID = new RegExp(`^[0-9A-Za-z._~-]{1,${B.branchIdMaxChars}}$`);
const FIELD_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TRANS_TYPE = /^[a-z][a-z0-9_-]{0,31}$/;
const OWN_KEYS = new Set(['gid', 'trans_type', 'branch_id', 'data']);

function str(fields: Readonly<Record<string, unknown>>, key: string): string {
  const v = fields[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new BadRequest(`${key}: expected a string`);
  return v;
}

function required(fields: Readonly<Record<string, unknown>>, key: string): string {
  const v = str(fields, key);
  if (v === '') throw new BadRequest(`${key} is required`);
  return v;
}

export function parseBranchInput(input: BranchInput, rules: BranchUrlRules): ParsedBranch {
  const f = input.fields;
  const gid = required(f, 'gid');
  const gidIssue = gidProblem(gid);
  if (gidIssue !== undefined) throw new BadRequest(`gid: ${gidIssue}`);
  const transType = required(f, 'trans_type');
  if (!TRANS_TYPE.test(transType)) throw new BadRequest('trans_type: must be a transaction type name such as tcc or xa');
  const branchId = required(f, 'branch_id');
  if (!BRANCH_ID.test(branchId)) throw new BadRequest(`branch_id: must be 1-${B.branchIdMaxChars} characters of [0-9A-Za-z._~-]`);
  const payload = input.payload !== undefined ? Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength) : Buffer.from(str(f, 'data'), 'utf8');
  if (payload.byteLength > B.branchDataMaxBytes) throw new BadRequest(`${input.payload !== undefined ? 'BusiPayload' : 'data'}: must be at most ${B.branchDataMaxBytes} bytes`);
  const entries: Array<[string, string]> = [];
  // too many: refused before a single field is checked (a hostile body may hold thousands)
  if (Object.keys(f).filter((key) => !OWN_KEYS.has(key)).length > B.maxBranchFields) throw new BadRequest(`body: at most ${B.maxBranchFields} fields besides gid, trans_type, branch_id and data`);
  for (const key of Object.keys(f)) {
    if (OWN_KEYS.has(key)) continue;
    if (!FIELD_NAME.test(key)) throw new BadRequest(`field name ${JSON.stringify(key.slice(0, 64))}: must be 1-64 characters of [A-Za-z0-9_-]`);
    const value = str(f, key);
    if (value.length > B.urlMaxChars) throw new BadRequest(`${key}: must be at most ${B.urlMaxChars} characters`);
    if (BRANCH_URL_FIELDS.includes(key)) {
      const problem = branchUrlProblem(value, input.protocol, rules);
      if (problem !== undefined) throw new BadRequest(`${key}: ${problem}`);
    }
    entries.push([key, value]);
  }
  const fields: Record<string, string> = Object.fromEntries(entries);
  return { gid, transType, registration: { requestType: transType, branchId, fields, payload: payload.toString('base64') } };
}

/**
 * The HTTP body / JSON-RPC `params` of registerBranch: an object whose values are all strings (dtm
 * decodes it into `map[string]string`, so keys match exactly and a non-string value is refused).
 */
export function flatStringObject(value: unknown, what: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequest(`${what} must be a JSON object of strings`);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new BadRequest(`${k.slice(0, 64)}: expected a string (${what} is a flat object of strings)`);
  }
  return value as Record<string, string>;
}
