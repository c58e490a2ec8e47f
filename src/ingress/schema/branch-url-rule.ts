import { branchTransportOf } from '../../invoker/branch-url.js';
import { INPUT_BOUNDS } from './input-bounds.js';

/**
 * Whether the invoker can call a branch URL (spec §6.1): '' (no call), an absolute http(s) URL
 * without credentials for HTTP and JSON-RPC, or a gRPC target the active driver can split. A URL
 * that can never be called is refused at submit instead of being retried forever.
 */
export interface BranchUrlRules {
  /** The active microservice driver's verdict on a gRPC branch URL: a problem, or undefined. */
  readonly grpcUrlProblem: (url: string) => string | undefined;
}

const BLANK_OR_CONTROL = /[\s\p{Cc}]/u;

export function branchUrlProblem(url: string, protocol: string, rules: BranchUrlRules): string | undefined {
  if (url === '') return undefined;
  if (url.length > INPUT_BOUNDS.urlMaxChars) return `must be at most ${INPUT_BOUNDS.urlMaxChars} characters`;
  if (BLANK_OR_CONTROL.test(url) || /\p{Cs}/u.test(url)) return 'must not contain blanks, control characters or invalid Unicode';
  if (branchTransportOf(protocol, url) === 'grpc') return rules.grpcUrlProblem(url);
  return httpUrlProblem(url);
}

function httpUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `'${url}' is not an absolute URL: use http:// or https://`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme '${u.protocol}' cannot be called: use http:// or https://`;
  if (u.hostname === '') return 'has no host';
  if (u.username !== '' || u.password !== '') return 'must not carry credentials (user:password@); send them in branch_headers';
  return undefined;
}
