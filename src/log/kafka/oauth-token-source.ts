import type { Dispatcher } from 'undici';
import { OAuthTokenFailure } from '../../errors.js';
import { tokenAnswerOf } from './oauth-token-answer.js';

/** Where and as whom a worker asks for its SASL/OAUTHBEARER tokens (`Store.KafkaSasl`, mechanism oauthbearer). */
export interface OAuthClient {
  readonly endpoint: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  /** RFC 6749 §3.3 scope asked for; '' = none */
  readonly scope: string;
  /** KIP-342 SASL extensions sent beside the token */
  readonly extensions: Readonly<Record<string, string>>;
  /** PEM CA bundle for an https endpoint, looked at for each request (it may follow its file); absent = the system CAs */
  readonly ca?: Buffer | undefined;
}

/** What kafkajs's `oauthBearerProvider` resolves to. */
export interface BearerToken {
  readonly value: string;
  readonly extensions?: Readonly<Record<string, string>>;
}

interface Held {
  readonly value: string;
  readonly expiresAt: number;
  /** when to ask for the next one: a fifth of the lifetime, at least 15 s, before expiry */
  readonly renewAt: number;
}

/** What kafkajs's `oauthBearerProvider` resolves to for `value`: the extensions only when there are some. */
export function bearerOf(value: string, extensions: Readonly<Record<string, string>>): BearerToken {
  return Object.keys(extensions).length === 0 ? { value } : { value, extensions };
}

/** How long before a session ends kafkajs re-authenticates (its `reauthenticationThreshold`, set by createKafka). */
export const REAUTH_THRESHOLD_MS = 10_000;
/** A token is renewed at least this long before it expires: after the last re-authentication it can serve. */
const RENEW_MARGIN_MS = REAUTH_THRESHOLD_MS + 5_000;
/**
 * A token with less left is never handed out: the broker's session would end within the threshold,
 * kafkajs would re-authenticate again at once, and the broker refuses a re-authentication that
 * follows another immediately (ILLEGAL_SASL_STATE, measured on Kafka 3.9), which breaks the connection.
 */
export const MIN_LEFT_MS = REAUTH_THRESHOLD_MS + 2_000;
/** After a failed renewal, the still-valid token is used this long before the endpoint is asked again. */
const RETRY_AFTER_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * OAuth 2.0 client-credentials tokens (RFC 6749 §4.4) for SASL/OAUTHBEARER. kafkajs asks for a token
 * at every authentication (each new connection, and each re-authentication when the broker's
 * session, bounded by the token's expiry, ends: KIP-368) and leaves caching to the provider. So:
 * - a token is reused until its renewal time; callers at the same time share one request;
 * - a failed renewal while the token in hand is still good for more than MIN_LEFT_MS returns that
 *   token (and is reported to `warn`), asking again after 5 s at the earliest;
 * - without a valid token the failure is thrown as OAuthTokenFailure, retriable (kafkajs retries
 *   the connection) unless the endpoint refused the client with a 4xx, which no retry fixes.
 * The client authenticates with HTTP Basic (§2.3.1: id and secret form-encoded first), as Kafka's
 * own Java client does. The endpoint's answer is bounded input (oauth-token-answer.ts).
 */
export class OAuthTokenSource {
  readonly #client: OAuthClient;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  /** undici's index, with its request API, loaded only here: few workers use OAuth */
  #agent: Promise<Dispatcher> | undefined;
  /** the CA `#agent` was made with: another one (its file renewed) makes another agent */
  #agentCa: Buffer | undefined;
  #held: Held | undefined;
  #pending: Promise<Held> | undefined;
  #quietUntil = 0;

  constructor(client: OAuthClient, options: { now?: () => number; warn?: (message: string) => void } = {}) {
    this.#client = client;
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? (() => undefined);
  }

  /** The token to authenticate with now (kafkajs's `oauthBearerProvider`). */
  async bearer(): Promise<BearerToken> {
    return bearerOf((await this.#current()).value, this.#client.extensions);
  }

  async #current(): Promise<Held> {
    const now = this.#now();
    const held = this.#held;
    if (held !== undefined && now < held.renewAt) return held;
    const usable = held !== undefined && now < held.expiresAt - MIN_LEFT_MS ? held : undefined;
    if (usable !== undefined && now < this.#quietUntil) return usable;
    try {
      this.#pending ??= this.#fetch().finally(() => (this.#pending = undefined));
      this.#held = await this.#pending;
      return this.#held;
    } catch (err) {
      if (usable === undefined) throw err;
      this.#quietUntil = this.#now() + RETRY_AFTER_MS;
      this.#warn(`${(err as Error).message}; the current token stays in use until it expires in ${Math.ceil((usable.expiresAt - this.#now()) / 1000)} s`);
      return usable;
    }
  }

  async #fetch(): Promise<Held> {
    const { endpoint, clientId, clientSecret, scope } = this.#client;
    const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
    const body = new URLSearchParams(scope === '' ? { grant_type: 'client_credentials' } : { grant_type: 'client_credentials', scope }).toString();
    const asked = this.#now();
    let answer: { status: number; body: Buffer };
    try {
      const res = await (await this.#dispatcher()).request({
        origin: endpoint.origin,
        path: `${endpoint.pathname}${endpoint.search}`,
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
        reset: true, // minutes apart: no idle connection kept
      });
      answer = { status: res.statusCode, body: await boundedBody(res.body) };
    } catch (err) {
      // no `cause`: kafkajs passes an error's cause on in place of the error, and the start-up line looks for this one
      throw new OAuthTokenFailure(`cannot get an OAuth token from ${endpoint.origin}${endpoint.pathname} (Store.KafkaSasl.TokenEndpoint): ${(err as Error).message}`, true);
    }
    const token = tokenAnswerOf(answer.status, answer.body, `${endpoint.origin}${endpoint.pathname}`);
    const lifetimeMs = token.lifetimeS * 1000;
    const expiresAt = asked + lifetimeMs;
    return { value: token.value, expiresAt, renewAt: expiresAt - Math.max(lifetimeMs / 5, RENEW_MARGIN_MS) };
  }

  /** An agent trusting the client's CA as it is now; the one made for a previous CA is closed. */
  #dispatcher(): Promise<Dispatcher> {
    const ca = this.#client.ca;
    if (this.#agent !== undefined && ca === this.#agentCa) return this.#agent;
    const previous = this.#agent;
    this.#agentCa = ca;
    this.#agent = import('undici').then(({ Agent }) => new Agent(ca === undefined ? {} : { connect: { ca } }));
    void previous?.then((agent) => agent.close()).catch(() => undefined);
    return this.#agent;
  }
}

/** application/x-www-form-urlencoded, as §2.3.1 asks of the id and secret before Basic encodes them. */
function formEncode(text: string): string {
  return new URLSearchParams({ x: text }).toString().slice(2);
}

const MAX_ANSWER_BYTES = 64 * 1024;

async function boundedBody(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Asks `provider` for a token before kafkajs connects, retrying what may pass (the endpoint down or
 * overloaded) for about 8 s. kafkajs asks only after the SASL handshake, and a connection whose
 * provider failed there is left mid-handshake: its retry answers ILLEGAL_SASL_STATE, hiding why.
 * Throws the endpoint's OAuthTokenFailure when it gives none.
 */
export async function firstToken(provider: () => Promise<BearerToken>): Promise<void> {
  for (let delayMs = 250; ; delayMs *= 2) {
    try {
      await provider();
      return;
    } catch (err) {
      if (!(err instanceof OAuthTokenFailure) || !err.retriable || delayMs > 4000) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
