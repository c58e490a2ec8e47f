import { MSG_TOPIC_PREFIX, type TransSpec } from '../../machines/index.js';
import { BadRequest } from '../errors.js';
import { branchTransportOf } from './branch-url.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { BoundedMemo } from '../bounded-memo.js';
import { grpcDialTarget, type GrpcDialTarget } from './grpc-target.js';
import type { ParseServerMethod } from './grpc-invoker.js';

/**
 * The submit-time half of the outbound policy (docs/security.md): every branch URL of a new
 * transaction is checked before anything is stored, so a refused URL is a 400 naming the field
 * instead of a transaction retried forever. The call-time half lives in the invokers.
 */

/** What recent URLs dial (a submit checks every branch URL; most repeat). */
const targets = new BoundedMemo<string, GrpcDialTarget | undefined>(1024);

/**
 * What a branch URL connects to: HTTP's host and port, or a gRPC target as grpc-js reads it.
 * undefined: nothing to check (no call, or an HTTP URL that does not parse and so cannot be called).
 */
export function branchTargetOf(url: string, protocol: string, split: ParseServerMethod): GrpcDialTarget | undefined {
  return targets.get(`${protocol}\u0000${url}`, () => parseTarget(url, protocol, split));
}

/** A gRPC URL's dial target as the active driver splits it, the invoker's way (the schema refused what it cannot split). */
function parseTarget(url: string, protocol: string, split: ParseServerMethod): GrpcDialTarget | undefined {
  const transport = branchTransportOf(protocol, url);
  if (transport === 'none') return undefined;
  if (transport === 'grpc') {
    try {
      return grpcDialTarget(split(url).server);
    } catch (err) {
      return { kind: 'refused', reason: (err as Error).message };
    }
  }
  try {
    const u = new URL(url);
    return { kind: 'addresses', targets: [{ host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) }] };
  } catch {
    return undefined;
  }
}

/** The first reason the policy refuses `target` (every address of it is checked), if any. */
export async function targetProblem(target: GrpcDialTarget | undefined, policy: OutboundPolicy, check: 'submit' | 'call'): Promise<string | undefined> {
  if (target === undefined || target.kind === 'registry') return undefined;
  if (target.kind === 'refused') return target.reason;
  for (const t of target.targets) {
    const problem = check === 'submit' ? await policy.hostProblem(t.host, t.port) : await policy.callProblem(t.host, t.port);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Rejects with BadRequest naming the first refused URL of `spec`. A msg step `topic://<name>` is
 * no URL: its subscribers were checked when they subscribed (`checkUrlOutbound`), and every call
 * is checked again when it is made.
 */
export async function checkOutbound(spec: TransSpec, policy: OutboundPolicy, split: ParseServerMethod): Promise<void> {
  const urls: Array<[string, string]> = [];
  spec.steps.forEach((s, i) => {
    for (const [k, v] of Object.entries(s)) if (v !== '' && !(k === 'action' && v.startsWith(MSG_TOPIC_PREFIX))) urls.push([`steps.${i}.${k}`, v]);
  });
  if (spec.queryPrepared !== '') urls.push(['query_prepared', spec.queryPrepared]);
  const seen = new Map<GrpcDialTarget | undefined, string | undefined>();
  for (const [path, url] of urls) {
    const target = branchTargetOf(url, spec.protocol, split);
    if (!seen.has(target)) seen.set(target, await targetProblem(target, policy, 'submit'));
    const problem = seen.get(target);
    if (problem !== undefined) throw new BadRequest(`${path}: ${problem}`);
  }
}

/** One URL (a topic's subscriber), called as its own shape says: BadRequest naming `field` when refused. */
export async function checkUrlOutbound(field: string, url: string, policy: OutboundPolicy, split: ParseServerMethod): Promise<void> {
  const problem = await targetProblem(branchTargetOf(url, '', split), policy, 'submit');
  if (problem !== undefined) throw new BadRequest(`${field}: ${problem}`);
}
