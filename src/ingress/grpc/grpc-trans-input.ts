import { BadRequest } from '../../errors.js';
import { dtmProto, type DtmBranchRequest, type DtmRequest, type DtmTopicRequest } from '../../protocol/dtm-proto.js';
import type { BranchInput } from '../schema/branch-input-schema.js';
import { wireProblem, type WireField, type WireShape } from './proto-wire-check.js';
import { INPUT_BOUNDS } from '../schema/input-bounds.js';

/**
 * The gRPC adapter of the transaction request (spec §10.2): a `DtmRequest` as the shared schema's
 * input (src/ingress/schema). The gid is not escaped, the protocol is always `grpc`, `BinPayloads`
 * are the payloads (bytes, sent to gRPC branches as they are), `Steps` is JSON text, and absent
 * `TransOptions` mean zero options. There is no `concurrent` over gRPC.
 */

/**
 * Wire shapes of the request messages of proto/dtmgimp.proto, for the strict check that runs
 * before decoding (proto-wire-check.ts). test/unit/ingress/proto-wire-check.test.ts keeps them equal
 * to the loaded proto (numbers, names, kinds), so the proto file stays the one source.
 */
const shape = (fields: Readonly<Record<number, WireField>>): WireShape => Object.freeze({ fields: Object.freeze(fields) });

/** registerBranch's `Data`: its fields, and gid, trans_type, branch_id and data beside them */
const BRANCH_DATA_ENTRIES = INPUT_BOUNDS.maxBranchFields + 4;

const stringMap = shape({ 1: { name: 'key', kind: 'string' }, 2: { name: 'value', kind: 'string' } });

export const EMPTY_SHAPE: WireShape = shape({});

export const DTM_TRANS_OPTIONS_SHAPE: WireShape = shape({
  1: { name: 'WaitResult', kind: 'varint' },
  2: { name: 'TimeoutToFail', kind: 'varint' },
  3: { name: 'RetryInterval', kind: 'varint' },
  5: { name: 'BranchHeaders', kind: stringMap, maxCount: INPUT_BOUNDS.maxBranchHeaders },
  6: { name: 'RequestTimeout', kind: 'varint' },
  7: { name: 'RetryLimit', kind: 'varint' },
});

export const DTM_REQUEST_SHAPE: WireShape = shape({
  1: { name: 'Gid', kind: 'string' },
  2: { name: 'TransType', kind: 'string' },
  3: { name: 'TransOptions', kind: DTM_TRANS_OPTIONS_SHAPE },
  4: { name: 'CustomedData', kind: 'string' },
  5: { name: 'BinPayloads', kind: 'bytes', maxCount: INPUT_BOUNDS.maxSteps },
  6: { name: 'QueryPrepared', kind: 'string' },
  7: { name: 'Steps', kind: 'string' },
  8: { name: 'ReqExtra', kind: stringMap, maxCount: INPUT_BOUNDS.reqExtraMaxEntries },
  9: { name: 'RollbackReason', kind: 'string' },
});

export const DTM_BRANCH_REQUEST_SHAPE: WireShape = shape({
  1: { name: 'Gid', kind: 'string' },
  2: { name: 'TransType', kind: 'string' },
  3: { name: 'BranchID', kind: 'string' },
  4: { name: 'Op', kind: 'string' },
  5: { name: 'Data', kind: stringMap, maxCount: BRANCH_DATA_ENTRIES },
  6: { name: 'BusiPayload', kind: 'bytes' },
});

/** `RegisterBranch`'s request, checked and decoded like `decodeDtmRequest`. */
export function decodeDtmBranchRequest(bytes: Buffer): DtmBranchRequest {
  const problem = wireProblem(bytes, DTM_BRANCH_REQUEST_SHAPE);
  if (problem !== undefined) throw new BadRequest(`malformed DtmBranchRequest: ${problem}`);
  try {
    return dtmProto().messages.DtmBranchRequest.decode(bytes);
  } catch (err) {
    throw new BadRequest(`malformed DtmBranchRequest: ${(err as Error).message}`);
  }
}

/**
 * `DtmBranchRequest` as the registerBranch schema's input (spec §10.2): `Data` plays the HTTP body's
 * role (`confirm`/`cancel`, `url`, ...), `BusiPayload` is the payload (bytes as they are), `Op` is
 * ignored as dtm ignores it, and Gid/TransType/BranchID win over same-named `Data` keys.
 */
export function grpcBranchInput(req: DtmBranchRequest): BranchInput {
  return { fields: { ...req.Data, gid: req.Gid, trans_type: req.TransType, branch_id: req.BranchID }, payload: req.BusiPayload, protocol: 'grpc' };
}

/** Strictly checks and decodes the request bytes; BadRequest naming the field when malformed. */
export function decodeDtmRequest(bytes: Buffer): DtmRequest {
  const problem = wireProblem(bytes, DTM_REQUEST_SHAPE);
  if (problem !== undefined) throw new BadRequest(`malformed DtmRequest: ${problem}`);
  try {
    return dtmProto().messages.DtmRequest.decode(bytes);
  } catch (err) {
    throw new BadRequest(`malformed DtmRequest: ${(err as Error).message}`);
  }
}

export function grpcTransInput(req: DtmRequest): Record<string, unknown> {
  const o = req.TransOptions;
  return {
    gid: req.Gid,
    trans_type: req.TransType,
    protocol: 'grpc',
    steps: parseSteps(req.Steps),
    payloads: req.BinPayloads,
    custom_data: req.CustomedData,
    query_prepared: req.QueryPrepared,
    rollback_reason: req.RollbackReason,
    req_extra: req.ReqExtra,
    wait_result: o?.WaitResult ?? false,
    timeout_to_fail: o?.TimeoutToFail ?? 0,
    retry_interval: o?.RetryInterval ?? 0,
    request_timeout: o?.RequestTimeout ?? 0,
    retry_limit: o?.RetryLimit ?? 0,
    branch_headers: o?.BranchHeaders ?? {},
  };
}

/**
 * `Steps`: '' or the JSON text `null` (what the Go SDK sends without steps) mean none. A step's
 * `data` key is the HTTP body's legacy payload; dtm's gRPC path never reads it (the payloads are
 * `BinPayloads` only), so it is dropped here instead of being appended to the payloads.
 */
function parseSteps(text: string): unknown {
  if (text === '') return undefined;
  let steps: unknown;
  try {
    steps = JSON.parse(text);
  } catch (err) {
    throw new BadRequest(`Steps: not valid JSON text: ${(err as Error).message}`);
  }
  if (!Array.isArray(steps)) return steps ?? undefined;
  return steps.map((s: unknown) => {
    if (s === null || typeof s !== 'object' || Array.isArray(s) || !('data' in s)) return s;
    const { data: _legacy, ...rest } = s as Record<string, unknown>;
    return rest;
  });
}

/**
 * The gRPC adapter of the topic calls (spec §10.1): `DtmTopicRequest {1 Topic; 2 URL; 3 Remark}`,
 * checked strictly before decoding (proto-wire-check.ts), as the transaction requests are.
 * test/unit/ingress/proto-wire-check.test.ts keeps the shape equal to the loaded proto.
 */
export const DTM_TOPIC_REQUEST_SHAPE: WireShape = Object.freeze({
  fields: Object.freeze({
    1: { name: 'Topic', kind: 'string' as const },
    2: { name: 'URL', kind: 'string' as const },
    3: { name: 'Remark', kind: 'string' as const },
  }),
});

/** Strictly checks and decodes the request bytes; BadRequest naming the field when malformed. */
export function decodeTopicRequest(bytes: Buffer): DtmTopicRequest {
  const problem = wireProblem(bytes, DTM_TOPIC_REQUEST_SHAPE);
  if (problem !== undefined) throw new BadRequest(`malformed DtmTopicRequest: ${problem}`);
  try {
    return dtmProto().messages.DtmTopicRequest.decode(bytes);
  } catch (err) {
    throw new BadRequest(`malformed DtmTopicRequest: ${(err as Error).message}`);
  }
}
