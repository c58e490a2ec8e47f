import { z } from 'zod';
import { MSG_TOPIC_PREFIX, type TransSpec } from '../../../machines/index.js';
import { topicNameProblem } from './topic-input-schema.js';
import { BadRequest } from '../../errors.js';
import { INPUT_BOUNDS as B } from './input-bounds.js';
import { gidSchema } from './gid-schema.js';
import { branchUrlProblem, type BranchUrlRules } from './branch-url-rule.js';
import { grpcMetadataProblem, headerNameProblem, headerValueProblem, type HeaderRules } from './branch-headers-rule.js';
import { parseBranchInput, type BranchInput, type ParsedBranch } from './branch-input-schema.js';

/**
 * The one request schema of a global transaction (spec §2.1, §10.2), shared by the HTTP, gRPC and
 * JSON-RPC ingresses: each adapter maps its wire shape onto these snake_case keys (payloads as text
 * or bytes), and `parseTrans` validates every bound and builds the TransSpec the engine stores.
 * Errors are BadRequest naming the field (`steps.0.action: ...`).
 */
export interface TransSchemaRules extends BranchUrlRules, HeaderRules {}

const seconds = (max: number) => z.int({ error: `must be an integer 0..${max} (seconds)` }).min(0, { error: `must be an integer 0..${max} (seconds)` }).max(max, { error: `must be an integer 0..${max} (seconds)` });
const count = (max: number) => z.int({ error: `must be an integer 0..${max}` }).min(0, { error: `must be an integer 0..${max}` }).max(max, { error: `must be an integer 0..${max}` });
const text = (max: number) => z.string({ error: 'expected a string' }).max(max, { error: `must be at most ${max} characters` });
const payload = z.union([z.string(), z.instanceof(Uint8Array)], { error: 'expected a string' });

const step = z
  .record(text(B.stepKeyMaxChars), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' })
  .refine((s) => Object.keys(s).length <= B.maxStepKeys, { error: `a step has at most ${B.maxStepKeys} keys` });

const BASE = z.object({
  gid: gidSchema,
  trans_type: z.string({ error: 'expected a string' }).regex(/^[a-z][a-z0-9_-]{0,31}$/, { error: 'must be a transaction type name such as saga or msg' }),
  steps: z.array(step, { error: 'expected an array' }).max(B.maxSteps, { error: `at most ${B.maxSteps} steps` }).nullish(),
  payloads: z.array(payload, { error: 'expected an array' }).max(B.maxSteps, { error: `at most ${B.maxSteps} payloads` }).nullish(),
  // the smaller bound of the other types is checked in checkRefs
  custom_data: text(B.workflowCustomDataMaxChars).nullish(),
  query_prepared: z.string({ error: 'expected a string' }).nullish(),
  protocol: z.enum(['', 'http', 'grpc', 'json-rpc'], { error: 'must be one of http, grpc, json-rpc' }).nullish(),
  wait_result: z.boolean({ error: 'expected a boolean' }).nullish(),
  timeout_to_fail: seconds(B.timeoutToFailMaxSeconds).nullish(),
  request_timeout: seconds(B.requestTimeoutMaxSeconds).nullish(),
  retry_interval: seconds(B.retryIntervalMaxSeconds).nullish(),
  retry_limit: count(B.retryLimitMax).nullish(),
  retry_count: count(B.retryLimitMax).nullish(),
  branch_headers: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' }).nullish(),
  concurrent: z.boolean({ error: 'expected a boolean' }).nullish(),
  rollback_reason: text(B.rollbackReasonMaxChars).nullish(),
  req_extra: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' }).nullish(),
});

export type TransInput = z.input<typeof BASE>;
type TransFields = z.output<typeof BASE>;

/** The keys the schema knows, for adapters that match keys case-insensitively (Go's encoding/json). */
export const TRANS_KEYS: readonly string[] = Object.keys(BASE.shape);

function checkRefs(t: TransFields, rules: TransSchemaRules, ctx: z.RefinementCtx): void {
  const protocol = t.protocol ? t.protocol : 'http';
  const topicIssue = (path: PropertyKey[], name: string) => {
    const problem = name === '' ? undefined : topicNameProblem(name); // '' is dtm's `topic not found`
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path, message: `topic name ${problem}` });
  };
  const urlIssue = (path: PropertyKey[], url: string) => {
    const problem = branchUrlProblem(url, protocol, rules);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path, message: problem });
  };
  (t.steps ?? []).forEach((s, i) => {
    for (const [k, v] of Object.entries(s)) {
      if (k === 'data') continue;
      // a msg action `topic://<name>` fans out to the topic's subscribers (spec §7.4.1)
      if (k === 'action' && t.trans_type === 'msg' && v.startsWith(MSG_TOPIC_PREFIX)) topicIssue(['steps', i, k], v.slice(MSG_TOPIC_PREFIX.length));
      else urlIssue(['steps', i, k], v);
    }
  });
  if (t.query_prepared) urlIssue(['query_prepared'], t.query_prepared);
  const headers = Object.entries(t.branch_headers ?? {});
  // too many: one issue, not one per entry of a hostile list
  if (headers.length > B.maxBranchHeaders) ctx.addIssue({ code: 'custom', path: ['branch_headers'], message: `at most ${B.maxBranchHeaders} headers` });
  else {
    for (const [name, value] of headers) {
      const problem = headerNameProblem(name, rules) ?? headerValueProblem(value) ?? (protocol === 'http' ? undefined : grpcMetadataProblem(name, value));
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['branch_headers', name], message: problem });
    }
  }
  if (t.custom_data && t.trans_type !== 'workflow' && t.custom_data.length > B.customDataMaxChars) ctx.addIssue({ code: 'custom', path: ['custom_data'], message: `must be at most ${B.customDataMaxChars} characters` });
  else if (t.custom_data && !isJsonObjectText(t.custom_data)) ctx.addIssue({ code: 'custom', path: ['custom_data'], message: 'must be empty or the text of a JSON object' });
  checkReqExtra(t, ctx);
}

/** `req_extra` (spec §2.1): bounded; a workflow's `status` is succeed or failed (spec §5.4). */
function checkReqExtra(t: TransFields, ctx: z.RefinementCtx): void {
  const entries = Object.entries(t.req_extra ?? {});
  if (entries.length > B.reqExtraMaxEntries) ctx.addIssue({ code: 'custom', path: ['req_extra'], message: `at most ${B.reqExtraMaxEntries} entries` });
  for (const [key, value] of entries.slice(0, B.reqExtraMaxEntries)) {
    const max = key === 'result' ? B.reqExtraResultMaxChars : B.reqExtraValueMaxChars;
    if (key.length === 0 || key.length > B.reqExtraKeyMaxChars) ctx.addIssue({ code: 'custom', path: ['req_extra'], message: `keys are 1-${B.reqExtraKeyMaxChars} characters` });
    else if (value.length > max) ctx.addIssue({ code: 'custom', path: ['req_extra', key], message: `must be at most ${max} characters` });
  }
  const status = t.req_extra?.status;
  if (t.trans_type === 'workflow' && status !== undefined && !WORKFLOW_ENDS.includes(status)) {
    ctx.addIssue({ code: 'custom', path: ['req_extra', 'status'], message: 'must be succeed or failed' });
  }
}

const WORKFLOW_ENDS: readonly string[] = ['succeed', 'failed'];

/** A workflow submit ends the workflow: it must say how (spec §5.4); undefined when it does. */
export function workflowSubmitProblem(spec: TransSpec): string | undefined {
  if (spec.transType !== 'workflow' || WORKFLOW_ENDS.includes(spec.reqExtra?.status ?? '')) return undefined;
  return 'req_extra.status: a workflow submit needs req_extra {"status": "succeed" | "failed", "rollback_reason", "result"}';
}

export interface TransParser {
  /** Validates a transport-neutral request and builds its TransSpec; throws BadRequest naming the field. */
  parseTrans(input: Record<string, unknown>): TransSpec;
  /** Validates a registerBranch request (branch-input-schema.ts); throws BadRequest naming the field. */
  parseBranch(input: BranchInput): ParsedBranch;
}

export function createTransParser(rules: TransSchemaRules): TransParser {
  const schema = BASE.superRefine((t, ctx) => checkRefs(t, rules, ctx));
  return {
    parseTrans(input) {
      if (input.gid === undefined || input.gid === null || input.gid === '') throw new BadRequest('gid is required');
      if (input.trans_type === undefined || input.trans_type === null || input.trans_type === '') throw new BadRequest('trans_type is required');
      const parsed = schema.safeParse(input);
      if (!parsed.success) throw new BadRequest(describeIssues(parsed.error));
      return toSpec(parsed.data);
    },
    parseBranch: (input) => parseBranchInput(input, rules),
  };
}

/** `path: message` of the first issues, e.g. `steps.0.action: scheme 'file:' cannot be called`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

const base64 = (p: string | Uint8Array) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength)).toString('base64');

/** payloads ++ legacy steps[].data (spec §2.1), as base64. */
function toSpec(b: TransFields): TransSpec {
  const steps = b.steps ?? [];
  const raw = [...(b.payloads ?? []), ...steps.map((s) => s.data ?? '').filter((d) => d !== '')];
  return {
    gid: b.gid,
    transType: b.trans_type,
    protocol: b.protocol ? b.protocol : 'http',
    steps: steps.map(({ data: _legacy, ...rest }) => rest),
    payloads: raw.map(base64),
    customData: b.custom_data ?? '',
    queryPrepared: b.query_prepared ?? '',
    options: {
      waitResult: b.wait_result ?? false,
      timeoutToFail: b.timeout_to_fail ?? 0,
      requestTimeout: b.request_timeout ?? 0,
      retryInterval: b.retry_interval ?? 0,
      branchHeaders: b.branch_headers ?? {},
      retryLimit: b.retry_limit ?? 0,
      concurrent: b.concurrent ?? false,
    },
    rollbackReason: b.rollback_reason ?? '',
    // only when sent: the specs of other calls stay as they were recorded before req_extra existed
    ...(b.req_extra && Object.keys(b.req_extra).length > 0 ? { reqExtra: b.req_extra } : {}),
  };
}

function isJsonObjectText(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}
