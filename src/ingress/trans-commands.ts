import type { Engine } from '../engine/engine.js';
import type { Command, Reply } from '../engine/command.js';
import { newCommandId } from '../engine/command-id.js';
import { BadRequest } from '../errors.js';
import type { TransSpec } from '../../machines/index.js';
import { TRANS_KEYS, workflowSubmitProblem, type TransParser } from './schema/trans-input-schema.js';
import { BRANCH_URL_FIELDS, EMPTY_OPTIONS } from '../../machines/index.js';
import type { BranchInput } from './schema/branch-input-schema.js';

/**
 * The transaction calls every ingress offers (HTTP `/api/dtmsvr/*`, gRPC `dtmgimp.Dtm`, JSON-RPC):
 * the adapters map their wire shape onto the shared schema's input and call `runTransCall`; the
 * command it dispatches, and therefore the engine's answer, is the same whatever the transport.
 * The JSON shape of a transaction, shared by HTTP and JSON-RPC, is at the end of this file.
 */
export interface TransCallDeps {
  readonly engine: Engine;
  /** The shared request schema (src/ingress/schema). */
  readonly parser: TransParser;
  readonly isSupported: (transType: string) => boolean;
  /** Submit-time outbound policy: rejects with BadRequest naming a refused branch URL. */
  readonly checkOutbound: (spec: TransSpec) => Promise<void>;
}

export type TransCall = 'prepare' | 'submit' | 'abort';

/**
 * Validates `input` (snake_case keys of spec §2.1, payloads as text or bytes) and dispatches the
 * call. Throws BadRequest naming the field; `submit` with `wait_result` waits for the first pass,
 * but a workflow submit never does: it only records the end the client reports (spec §5.4, no
 * processing). `origin` prefixes the command id (`grpc.submit:...`).
 */
export async function runTransCall(deps: TransCallDeps, call: TransCall, input: Record<string, unknown>, origin: string): Promise<Reply> {
  const spec = deps.parser.parseTrans(input);
  const id = newCommandId(`${origin}.${call}`);
  if (call === 'abort') {
    // waits when the transaction was stored with wait_result (the engine reads the stored options, spec §5.6)
    return deps.engine.dispatch({ id, gid: spec.gid, kind: 'abort', requestType: spec.transType, reason: spec.rollbackReason }, true);
  }
  refuseType(deps.isSupported, spec.transType);
  const endProblem = call === 'submit' ? workflowSubmitProblem(spec) : undefined;
  if (endProblem !== undefined) throw new BadRequest(endProblem);
  await deps.checkOutbound(spec);
  const cmd: Command = { id, gid: spec.gid, kind: call, spec };
  return deps.engine.dispatch(cmd, call === 'submit' && spec.options.waitResult && spec.transType !== 'workflow');
}

/**
 * prepareWorkflow (spec §5.8): creates a prepared workflow when the gid is new, and answers the
 * stored transaction and its progress rows for a known gid (any type, any status). The reply's
 * `view` is rendered by the adapter (src/ingress/workflow-progress.ts). Only `trans_type`
 * workflow is taken (dtm would create a prepared transaction of any type here).
 */
export async function runPrepareWorkflow(deps: TransCallDeps, input: Record<string, unknown>, origin: string): Promise<Reply> {
  const spec = deps.parser.parseTrans(input);
  if (spec.transType !== 'workflow') throw new BadRequest(`trans_type: prepareWorkflow takes trans_type workflow, not ${spec.transType}`);
  refuseType(deps.isSupported, spec.transType);
  await deps.checkOutbound(spec);
  return deps.engine.dispatch({ id: newCommandId(`${origin}.prepareWorkflow`), gid: spec.gid, kind: 'prepareWorkflow', spec });
}

/**
 * registerBranch and its aliases (spec §5.5): validates the flat request, checks its branch URLs
 * against the outbound policy as a submit does, and dispatches the command; the stored type's
 * machine adds the rows or refuses (409 outside `prepared`, as dtm).
 */
export async function runRegisterBranch(deps: TransCallDeps, input: BranchInput, origin: string): Promise<Reply> {
  const parsed = deps.parser.parseBranch(input);
  refuseType(deps.isSupported, parsed.transType);
  const urls = Object.fromEntries(Object.entries(parsed.registration.fields).filter(([k]) => BRANCH_URL_FIELDS.includes(k)));
  const probe: TransSpec = { gid: parsed.gid, transType: parsed.transType, protocol: input.protocol, steps: [urls], payloads: [], customData: '', queryPrepared: '', options: EMPTY_OPTIONS, rollbackReason: '' };
  try {
    await deps.checkOutbound(probe);
  } catch (err) {
    // name the request's field, not the probe's step
    if (err instanceof BadRequest) throw new BadRequest(err.message.replace(/^steps\.0\./, ''));
    throw err;
  }
  return deps.engine.dispatch({ id: newCommandId(`${origin}.registerBranch`), gid: parsed.gid, kind: 'registerBranch', registration: parsed.registration });
}

/** Throws BadRequest (dtm's text) unless `transType` is served. */
export function refuseType(isSupported: (transType: string) => boolean, transType: string): void {
  if (!isSupported(transType)) throw new BadRequest(`trans_type: unknow trans type: ${transType}`);
}

/**
 * A transaction as JSON (spec §2.1), the body of HTTP calls and the `params` of JSON-RPC calls,
 * as the shared schema's input. Go's encoding/json matches keys case-insensitively and ignores
 * unknown keys; dtm does the same here. The result goes to the shared schema (src/ingress/schema),
 * which names the offending field.
 */
const KNOWN_KEYS = new Map(TRANS_KEYS.map((k) => [k.toLowerCase(), k]));

/** `value` as a JSON object; BadRequest saying what `what` must be otherwise. */
export function objectBody(value: unknown, what = 'request body'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequest(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
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

/** A JSON transaction as the schema's input, gid as sent (JSON-RPC; HTTP escapes it on top). */
export function jsonTransInput(value: unknown, what?: string): Record<string, unknown> {
  return canonicalKeys(objectBody(value, what));
}
