import { OAuthTokenFailure } from '../../errors.js';

/** A token endpoint's successful answer, as dtx uses it. */
export interface TokenAnswer {
  /** the access token, sent to the brokers as `auth=Bearer <value>` */
  readonly value: string;
  /** seconds it is valid from when it was asked for */
  readonly lifetimeS: number;
}

/** RFC 6750 §2.1 b64token: nothing that could end the SASL message (KIP-255 separates with 0x01). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_CHARS = 16 * 1024;
/** A token file: one token and the white space around it. */
export const MAX_TOKEN_FILE_BYTES = MAX_TOKEN_CHARS + 1024;
/** A JWT `exp` outside this (seconds) is no expiry anyone issues: read as unknown. */
const MAX_EXP_S = 1e11;
const MAX_LIFETIME_S = 366 * 24 * 3600;
/** A token whose lifetime neither `expires_in` nor a JWT `exp` gives is renewed as one of a minute. */
export const UNKNOWN_LIFETIME_S = 60;

/**
 * Reads a token endpoint's answer (RFC 6749 §5.1, §5.2), bounded input from outside dtx: a 200 with
 * a JSON bearer `access_token` is a token; its lifetime is `expires_in` (a number, or a string of
 * digits as some servers send), else the `exp` of a JWT access token, else UNKNOWN_LIFETIME_S.
 * Anything else throws OAuthTokenFailure naming `where`: 5xx, 408 and 429 are retriable; any other
 * status (a refused client, a wrong URL or a redirect to another) and a 200 without a usable token
 * are not, no retry would fix them. `nowMs` is when the token was asked for.
 */
export function tokenAnswerOf(status: number, body: Buffer, where: string, nowMs = Date.now()): TokenAnswer {
  const json = parseObject(body);
  if (status !== 200) {
    const retriable = status >= 500 || status === 408 || status === 429;
    const said = json === undefined ? '' : `: ${printable(json['error'])}${json['error_description'] === undefined ? '' : ` (${printable(json['error_description'])})`}`;
    const what = retriable ? 'answered' : 'refused the client (Store.KafkaSasl.Username and Password, Scope) with';
    throw new OAuthTokenFailure(`the OAuth token endpoint ${where} (Store.KafkaSasl.TokenEndpoint) ${what} HTTP ${status}${said}`, retriable);
  }
  const unusable = (why: string) => new OAuthTokenFailure(`the OAuth token endpoint ${where} (Store.KafkaSasl.TokenEndpoint) answered 200 without a usable token: ${why}`, false);
  if (json === undefined) throw unusable('the body is not a JSON object');
  const token = json['access_token'];
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS || !B64TOKEN.test(token)) {
    throw unusable(`access_token must be a string of at most ${MAX_TOKEN_CHARS} token characters (RFC 6750)`);
  }
  const type = json['token_type'];
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) throw unusable(`token_type is ${printable(type)}, not bearer`);
  return { value: token, lifetimeS: lifetimeOf(json['expires_in'], token, nowMs) };
}

/**
 * A token read from `Store.KafkaSasl.TokenFile` (bounded input: whatever wrote the file is not
 * dtx): the file's text without surrounding white space, one RFC 6750 token of at most 16 KiB;
 * `expiresAtMs` from its JWT `exp`, if it is a JWT. Throws an Error saying what is wrong.
 */
export function fileTokenOf(content: Buffer): { readonly value: string; readonly expiresAtMs?: number } {
  if (content.length > MAX_TOKEN_FILE_BYTES) throw new Error(`it holds ${content.length} bytes: a token file has at most ${MAX_TOKEN_FILE_BYTES}`);
  const value = content.toString('latin1').trim();
  if (value.length === 0 || value.length > MAX_TOKEN_CHARS || !B64TOKEN.test(value)) {
    throw new Error(`it must hold one token of at most ${MAX_TOKEN_CHARS} token characters (RFC 6750: letters, digits, -._~+/ and trailing =), and nothing else`);
  }
  const exp = jwtExpiry(value);
  return exp === undefined ? { value } : { value, expiresAtMs: exp * 1000 };
}

function lifetimeOf(expiresIn: unknown, token: string, nowMs: number): number {
  const given = typeof expiresIn === 'string' && /^\d{1,9}$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
  if (typeof given === 'number' && Number.isFinite(given) && given > 0) return Math.min(given, MAX_LIFETIME_S);
  const exp = jwtExpiry(token);
  if (exp === undefined) return UNKNOWN_LIFETIME_S;
  return Math.min(Math.max(exp - nowMs / 1000, 0), MAX_LIFETIME_S);
}

/** The `exp` claim (seconds since the epoch) of a JWT, unverified: only when to renew depends on it. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const claims = parseObject(Buffer.from(parts[1]!, 'base64url'));
  const exp = claims?.['exp'];
  return typeof exp === 'number' && exp > 0 && exp < MAX_EXP_S ? exp : undefined;
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Text from outside dtx (a token endpoint, a broker) for a log line: printable ASCII, at most `max` characters. */
export function printable(value: unknown, max = 200): string {
  const text = (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)).replace(/[^\x20-\x7E]/g, '?');
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
