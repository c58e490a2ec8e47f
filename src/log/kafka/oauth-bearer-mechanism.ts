import kafkajs, { type AuthenticationProviderArgs, type Authenticator, type Mechanism } from 'kafkajs';
import { printable } from './oauth-token-answer.js';
import type { BearerToken } from './oauth-token-source.js';

/** The SASL/OAUTHBEARER mechanism as dtx hands it to kafkajs: its own authenticator on `provider`'s tokens. */
export interface OAuthBearerMechanism extends Mechanism {
  readonly mechanism: 'oauthbearer';
  /** the token source, also asked once before connecting (kafka-client.ts connectedAdmin) */
  readonly oauthBearerProvider: () => Promise<BearerToken>;
}

const SEPARATOR = '\u0001';

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255, KIP-342), in place of kafkajs's own, which sends the token
 * and takes any answer as success. A broker that refuses the token does not fail the exchange: it
 * answers an error challenge (a JSON status) and waits for the client's %x01 before failing it
 * (§3.2.3). kafkajs never read the challenge, so its connection went on, every request was
 * dropped, and a wrong token surfaced ~45 s later as "No brokers in the broker pool". Here a
 * challenge is acknowledged and the authentication fails at once with the broker's status.
 */
export function oauthBearerMechanism(provider: () => Promise<BearerToken>): OAuthBearerMechanism {
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: provider,
    authenticationProvider: ({ host, port, saslAuthenticate }: AuthenticationProviderArgs): Authenticator => ({
      authenticate: async () => {
        const send = async (token: BearerToken): Promise<string | undefined> => {
          const challenge = await saslAuthenticate({ request: saslBytes(clientResponse(token)), response: CHALLENGE });
          if (challenge === undefined || challenge.length === 0) return undefined;
          // the broker ends the exchange with SASL_AUTHENTICATION_FAILED: expected, not the news
          await saslAuthenticate({ request: saslBytes(Buffer.from(SEPARATOR)) }).catch(() => undefined);
          return printable(challenge.toString('utf8'), 300);
        };
        let token: BearerToken;
        try {
          token = await provider();
        } catch (err) {
          // The handshake is done: left there, the connection would answer every later try with
          // ILLEGAL_SASL_STATE. A token the broker refuses ends the exchange, and the broker closes
          // the connection, so the next try starts afresh.
          await send({ value: 'no-token' }).catch(() => undefined);
          throw err;
        }
        const refused = await send(token);
        if (refused !== undefined) throw new kafkajs.KafkaJSNonRetriableError(`SASL OAUTHBEARER authentication failed: the broker ${host}:${port} refused the token: ${refused}`);
      },
    }),
  };
}

/** KIP-255's client initial response: GS2 header, the token, KIP-342 extensions, two %x01 at the end. */
export function clientResponse(token: BearerToken): Buffer {
  const extensions = Object.entries(token.extensions ?? {}).map(([k, v]) => `${SEPARATOR}${k}=${v}`);
  return Buffer.from(`n,,${SEPARATOR}auth=Bearer ${token.value}${extensions.join('')}${SEPARATOR}${SEPARATOR}`);
}

/** A SASL message as kafkajs frames one: BYTES, an int32 length first. */
function saslBytes(payload: Buffer): { encode: () => Buffer } {
  return {
    encode: () => {
      const framed = Buffer.alloc(4 + payload.length);
      framed.writeInt32BE(payload.length, 0);
      payload.copy(framed, 4);
      return framed;
    },
  };
}

/** The broker's answer, unframed: empty on success, a JSON status on refusal. */
const CHALLENGE = {
  decode: (raw: Buffer): Buffer => {
    const length = raw.length >= 4 ? raw.readInt32BE(0) : -1;
    return length <= 0 ? Buffer.alloc(0) : raw.subarray(4, 4 + length);
  },
  parse: (data: Buffer): Buffer => data,
};
