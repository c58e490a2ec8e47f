import { MSG_TOPIC_PREFIX, type TransSpec } from '../../machines/index.js';
import { BadRequest } from '../errors.js';
import { branchTransportOf } from './branch-url.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { BoundedMemo } from '../bounded-memo.js';

/**
 * The submit-time half of the outbound policy (docs/security.md): every branch URL of a new
 * transaction is checked before anything is stored, so a refused URL is a 400 naming the field
 * instead of a transaction retried forever. The call-time half lives in the invokers.
 */

type Target = { readonly host: string; readonly port: number };

/** Parsed targets of recent URLs (a submit checks every branch URL; most repeat). */
const targets = new BoundedMemo<string, Target | undefined>(1024);

/** Host and port a branch URL connects to, when dtx dials it itself (not through a driver's registry). */
export function branchTargetOf(url: string, protocol: string): Target | undefined {
  return targets.get(`${protocol}\u0000${url}`, () => parseTarget(url, protocol));
}

function parseTarget(url: string, protocol: string): Target | undefined {
  const transport = branchTransportOf(protocol, url);
  if (transport === 'none') return undefined;
  if (transport === 'http' || transport === 'json-rpc') {
    try {
      const u = new URL(url);
      return { host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
    } catch {
      return undefined;
    }
  }
  const server = url.startsWith('dns:///') ? url.slice('dns:///'.length) : url;
  if (server.includes('://')) return undefined; // a driver's registry resolves it
  const hostPort = server.slice(0, server.indexOf('/') < 0 ? server.length : server.indexOf('/'));
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hostPort);
  return m === null ? undefined : { host: m[1]!, port: Number(m[2]) };
}

/**
 * Rejects with BadRequest naming the first refused URL of `spec`. A msg step `topic://<name>` is
 * no URL: its subscribers were checked when they subscribed (`checkUrlOutbound`), and every call
 * is checked again when it is made.
 */
export async function checkOutbound(spec: TransSpec, policy: OutboundPolicy): Promise<void> {
  const urls: Array<[string, string]> = [];
  spec.steps.forEach((s, i) => {
    for (const [k, v] of Object.entries(s)) if (v !== '' && !(k === 'action' && v.startsWith(MSG_TOPIC_PREFIX))) urls.push([`steps.${i}.${k}`, v]);
  });
  if (spec.queryPrepared !== '') urls.push(['query_prepared', spec.queryPrepared]);
  const seen = new Map<string, string | undefined>();
  for (const [path, url] of urls) {
    const target = branchTargetOf(url, spec.protocol);
    if (target === undefined) continue;
    const key = `${target.host}:${target.port}`;
    if (!seen.has(key)) seen.set(key, await policy.hostProblem(target.host, target.port));
    const problem = seen.get(key);
    if (problem !== undefined) throw new BadRequest(`${path}: ${problem}`);
  }
}

/** One URL (a topic's subscriber), called as its own shape says: BadRequest naming `field` when refused. */
export async function checkUrlOutbound(field: string, url: string, policy: OutboundPolicy): Promise<void> {
  const target = branchTargetOf(url, '');
  if (target === undefined) return;
  const problem = await policy.hostProblem(target.host, target.port);
  if (problem !== undefined) throw new BadRequest(`${field}: ${problem}`);
}
