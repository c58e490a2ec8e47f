import { INPUT_BOUNDS } from './input-bounds.js';

/**
 * `branch_headers` are sent as HTTP headers and gRPC metadata on every branch call. Names must be
 * HTTP tokens, values header-safe text (no CR/LF: no header injection). `host`, hop-by-hop and
 * framing headers would let a client steer dtx's connections, so they are refused; credential
 * headers are forwarded only while `Invoker.ForwardCredentials` is true (dtm forwards them).
 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Lower-case names never forwarded. */
export const REFUSED_HEADERS: ReadonlySet<string> = new Set([
  'host', 'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade', 'content-length', 'expect', 'http2-settings',
]);
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie']);

export interface HeaderRules {
  readonly forwardCredentials: boolean;
}

export function headerNameProblem(name: string, rules: HeaderRules): string | undefined {
  if (name.length === 0 || name.length > INPUT_BOUNDS.headerNameMaxChars || !TOKEN.test(name)) {
    return `header name must be 1-${INPUT_BOUNDS.headerNameMaxChars} token characters`;
  }
  const lower = name.toLowerCase();
  if (REFUSED_HEADERS.has(lower) || lower.startsWith('grpc-')) return `header '${name}' is set by dtx itself and cannot be forwarded`;
  if (!rules.forwardCredentials && CREDENTIAL_HEADERS.has(lower)) {
    return `header '${name}' carries credentials and Invoker.ForwardCredentials is false`;
  }
  return undefined;
}

/** grpc-js's rules for metadata (it throws on anything else): keys in lower case, values printable ASCII unless the key ends in -bin. */
const GRPC_KEY = /^[0-9a-z_.-]+$/;
const GRPC_VALUE = /^[\x20-\x7e]*$/;

/**
 * A header a gRPC branch call must carry as metadata (a transaction whose protocol is not `http`
 * may call gRPC branches): refused at submit rather than failing every call of the branch.
 */
export function grpcMetadataProblem(name: string, value: string): string | undefined {
  const key = name.toLowerCase();
  if (!GRPC_KEY.test(key)) return "gRPC metadata names are letters, digits, '_', '.' and '-' only";
  if (!key.endsWith('-bin') && !GRPC_VALUE.test(value)) return 'gRPC metadata values are printable ASCII (or the name ends in -bin)';
  return undefined;
}

export function headerValueProblem(value: string): string | undefined {
  if (value.length > INPUT_BOUNDS.headerValueMaxChars) return `header value must be at most ${INPUT_BOUNDS.headerValueMaxChars} characters`;
  if (!SAFE_VALUE.test(value)) return 'header value must not contain CR, LF or other control characters';
  return undefined;
}
