import { expect } from 'vitest';
import { workflowMachine, type TransEvent, type TransSpec } from '../../../machines/index.js';
import { Harness, makeCreated, makeSpec, sec } from './builders.js';

/** Builders of workflow events (spec §7.7) for the machine tests, as the ingress builds them. */

export const RESUME = 'http://busi.test/api/workflow/resume';
export const DATA = Buffer.from('{"amount":30}').toString('base64');

/** custom_data as the Go SDK writes it: `{"data":<base64|null>,"name":<name>}`. */
export const custom = (name = 'transfer', data: string | null = DATA): string => JSON.stringify({ data, name });

export interface WorkflowSpecInput {
  customData?: string;
  queryPrepared?: string;
  protocol?: string;
  reqExtra?: Record<string, string>;
  options?: Partial<TransSpec['options']>;
}

/** The spec of a prepareWorkflow (or, with reqExtra, of a submit). */
export function workflowSpec(over: WorkflowSpecInput = {}): TransSpec {
  const spec = makeSpec({
    transType: 'workflow', steps: [], payloads: [], customData: over.customData ?? custom(), queryPrepared: over.queryPrepared ?? RESUME,
    protocol: over.protocol ?? 'http', options: over.options ?? {},
  });
  return over.reqExtra ? { ...spec, reqExtra: over.reqExtra } : spec;
}

/** The SDK's submit: `{gid, trans_type, req_extra}` only (HTTP). */
export function end(at: number, reqExtra: Record<string, string>): TransEvent {
  return { type: 'TransSubmitted', at, spec: workflowSpec({ customData: '', queryPrepared: '', reqExtra }) };
}

/** A progress registration: `{branch_id, op, status, data}`. */
export function progress(branchId: string, op: string, status: string, data = '', at = sec(1), requestType = 'workflow'): TransEvent {
  return { type: 'BranchRegistered', at, requestType, branchId, fields: { op, status }, payload: Buffer.from(data).toString('base64') };
}

/** A workflow created by prepareWorkflow at second 0 (no effect, status prepared). */
export function prepared(spec = workflowSpec()): Harness {
  const h = new Harness(workflowMachine);
  expect(h.send(makeCreated(spec, 'prepared', sec(0))).effects).toEqual([]);
  expect(h.status).toBe('prepared');
  return h;
}
