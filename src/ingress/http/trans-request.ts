import { z } from 'zod';
import type { TransSpec } from '../../../machines/index.js';

/**
 * Decodes dtm's transaction body (spec §2.1) into a TransSpec. Go's encoding/json matches keys
 * case-insensitively and ignores unknown keys; we do the same, and name the offending field in
 * every error instead of panicking as dtm does.
 */

/** Largest number of steps accepted in one transaction (a size limit, not a dtm rule). */
export const MAX_STEPS = 1000;

const int = z.int().min(0);
const TransBody = z.object({
  gid: z.string().min(1).max(128),
  trans_type: z.string().min(1).max(32),
  steps: z.array(z.record(z.string(), z.string())).max(MAX_STEPS).nullish(),
  payloads: z.array(z.string()).max(MAX_STEPS).nullish(),
  custom_data: z.string().max(65536).nullish(),
  query_prepared: z.string().max(2048).nullish(),
  protocol: z.enum(['', 'http', 'grpc', 'json-rpc']).nullish(),
  wait_result: z.boolean().nullish(),
  timeout_to_fail: int.nullish(),
  request_timeout: int.nullish(),
  retry_interval: int.nullish(),
  retry_limit: int.nullish(),
  retry_count: int.nullish(),
  branch_headers: z.record(z.string(), z.string()).nullish(),
  concurrent: z.boolean().nullish(),
  rollback_reason: z.string().max(4096).nullish(),
});
const KNOWN_KEYS = new Map(Object.keys(TransBody.shape).map((k) => [k.toLowerCase(), k]));

export type TransBodyInput = z.infer<typeof TransBody>;

export class BadInput extends Error {
  override readonly name = 'BadInput';
}

/** Go-style case-insensitive key matching for the known fields. */
export function canonicalKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const canon = KNOWN_KEYS.get(k.toLowerCase());
    if (canon !== undefined && (out[canon] === undefined || k === canon)) out[canon] = v;
  }
  return out;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

/** HTTP entry points strip `\n`, `\r` and `;` from gid (dtm's Escape, spec §1.6). */
export function escapeGid(gid: string): string {
  return gid.replace(/[\n\r;]/g, '');
}

export function parseTransBody(body: unknown): TransBodyInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadInput('request body must be a JSON object');
  const canon = canonicalKeys(body as Record<string, unknown>);
  if (typeof canon.gid === 'string') canon.gid = escapeGid(canon.gid);
  if (canon.gid === undefined || canon.gid === '') throw new BadInput('gid is required');
  if (canon.trans_type === undefined || canon.trans_type === '') throw new BadInput('trans_type is required');
  const parsed = TransBody.safeParse(canon);
  if (!parsed.success) throw new BadInput(describeIssues(parsed.error));
  return parsed.data;
}

/** payloads ++ legacy steps[].data (spec §2.1), as base64. */
export function toSpec(b: TransBodyInput): TransSpec {
  const steps = b.steps ?? [];
  const raw = [...(b.payloads ?? []), ...steps.map((s) => s.data ?? '').filter((d) => d !== '')];
  return {
    gid: b.gid,
    transType: b.trans_type,
    protocol: b.protocol ? b.protocol : 'http',
    steps: steps.map(({ data: _legacy, ...rest }) => rest),
    payloads: raw.map((p) => Buffer.from(p, 'utf8').toString('base64')),
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
  };
}

/** Bodies of forceStop / resetNextCronTime: only `gid` is read. */
export function parseGidBody(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadInput('request body must be a JSON object');
  const canon = canonicalKeys(body as Record<string, unknown>);
  if (canon.gid === undefined || canon.gid === '') throw new BadInput('gid is required');
  if (typeof canon.gid !== 'string') throw new BadInput('gid: expected string');
  return escapeGid(canon.gid);
}
