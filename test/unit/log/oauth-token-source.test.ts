import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthTokenFailure } from '../../../src/errors.js';
import { clientResponse, oauthBearerMechanism } from '../../../src/log/kafka/oauth-bearer-mechanism.js';
import { tokenAnswerOf, UNKNOWN_LIFETIME_S } from '../../../src/log/kafka/oauth-token-answer.js';
import { firstToken, OAuthTokenSource } from '../../../src/log/kafka/oauth-token-source.js';
import { makeTestCerts } from '../../support/test-certs.js';

/** A token endpoint on loopback whose next answers the test sets; it records every request. */
let server: Server;
let endpoint: URL;
const seen: Array<{ authorization: string | undefined; body: string }> = [];
let answers: Array<{ status: number; json: object }> = [];
let issued = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ authorization: req.headers.authorization, body });
      const answer = answers.shift() ?? { status: 200, json: { access_token: `token-${++issued}`, token_type: 'Bearer', expires_in: 100 } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token?realm=dtx`);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  answers = [];
});

function source(now: { t: number }, warnings: string[] = [], scope = 'kafka') {
  const client = { endpoint, clientId: 'dtx worker:1', clientSecret: 's3cret&=', scope, extensions: { logicalCluster: 'lkc-1' } };
  return new OAuthTokenSource(client, { now: () => now.t, warn: (m) => warnings.push(m) });
}

describe('OAuthTokenSource (client-credentials tokens for SASL/OAUTHBEARER)', () => {
  it('asks once for concurrent callers, with Basic of the form-encoded id and secret, and reuses the token until its renewal time', async () => {
    const now = { t: 1_000_000 };
    const tokens = source(now);
    const [a, b] = await Promise.all([tokens.bearer(), tokens.bearer()]);
    expect(a).toEqual({ value: b.value, extensions: { logicalCluster: 'lkc-1' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from('dtx+worker%3A1:s3cret%26%3D').toString('base64')}`);
    expect(new URLSearchParams(seen[0]!.body)).toEqual(new URLSearchParams({ grant_type: 'client_credentials', scope: 'kafka' }));
    // lifetime 100 s: renewed 20 s before expiry
    now.t += 79_000;
    expect((await tokens.bearer()).value).toBe(a.value);
    now.t += 2_000;
    expect((await tokens.bearer()).value).not.toBe(a.value);
    expect(seen).toHaveLength(2);
  });

  it('keeps a token with more than 12 s left when its renewal fails (warned, asked again 5 s later), and fails retriably after', async () => {
    const now = { t: 2_000_000 };
    const warnings: string[] = [];
    const tokens = source(now, warnings, '');
    const first = await tokens.bearer();
    expect(seen[0]!.body).toBe('grant_type=client_credentials');
    now.t += 85_000;
    answers = [{ status: 503, json: { error: 'temporarily_unavailable' } }];
    expect((await tokens.bearer()).value).toBe(first.value);
    expect(warnings).toEqual([expect.stringMatching(/answered HTTP 503: temporarily_unavailable; the current token stays in use until it expires in 15 s/)]);
    now.t += 2_000;
    expect((await tokens.bearer()).value).toBe(first.value);
    expect(seen).toHaveLength(2);
    // 11 s left: kafkajs would re-authenticate at once with it, which the broker refuses
    now.t += 2_000;
    answers = [{ status: 502, json: {} }];
    const failure = await tokens.bearer().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OAuthTokenFailure);
    expect((failure as OAuthTokenFailure).retriable).toBe(true);
    expect((await tokens.bearer()).value).not.toBe(first.value);
  });

  it('a refused client fails without retry, naming the endpoint and what it said; the secret is never in it', async () => {
    answers = [{ status: 401, json: { error: 'invalid_client', error_description: 'bad\u0000secret' } }];
    const failure = (await source({ t: 0 }).bearer().catch((e: unknown) => e)) as OAuthTokenFailure;
    expect(failure.retriable).toBe(false);
    expect(failure.message).toBe(`the OAuth token endpoint ${endpoint.origin}/token (Store.KafkaSasl.TokenEndpoint) refused the client (Store.KafkaSasl.Username and Password, Scope) with HTTP 401: invalid_client (bad?secret)`);
    expect(failure.message).not.toContain('s3cret');
  });

  it('firstToken retries what may pass, and stops at a refusal', async () => {
    answers = [{ status: 503, json: {} }, { status: 429, json: {} }];
    await firstToken(() => source({ t: 0 }).bearer());
    expect(seen).toHaveLength(3);
    answers = [{ status: 400, json: { error: 'invalid_scope' } }];
    await expect(firstToken(() => source({ t: 0 }).bearer())).rejects.toThrow(/HTTP 400: invalid_scope/);
    expect(seen).toHaveLength(4);
  });

  it('trusts the CA the client holds at each request: a renewed TokenCaFile is used without a restart', async () => {
    const certs = makeTestCerts();
    const https = createHttpsServer({ cert: certs.serverCert, key: certs.serverKey }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'over-tls', expires_in: 100 }));
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    try {
      const held = { ca: certs.otherCa }; // the file before the endpoint's certificate was renewed: another CA
      const client = { endpoint: new URL(`https://127.0.0.1:${(https.address() as AddressInfo).port}/token`), clientId: 'w', clientSecret: 's', scope: '', extensions: {}, get ca() { return held.ca; } };
      const tokens = new OAuthTokenSource(client, { now: () => 0 });
      await expect(tokens.bearer()).rejects.toThrow(/certificate/);
      held.ca = certs.ca;
      expect(await tokens.bearer()).toEqual({ value: 'over-tls' });
    } finally {
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
    }
  });
});

describe('tokenAnswerOf (the endpoint answer, bounded input)', () => {
  const ok = (json: object) => tokenAnswerOf(200, Buffer.from(JSON.stringify(json)), 'https://idp/token', 1_000_000);
  const jwt = (claims: object) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

  it('takes the lifetime from expires_in (a number or digits), else a JWT exp, else a minute', () => {
    expect(ok({ access_token: 'abc', token_type: 'bearer', expires_in: 300 })).toEqual({ value: 'abc', lifetimeS: 300 });
    expect(ok({ access_token: 'abc', expires_in: '3600' }).lifetimeS).toBe(3600);
    expect(ok({ access_token: jwt({ exp: 1_000 + 42 }) }).lifetimeS).toBe(42);
    expect(ok({ access_token: 'opaque' }).lifetimeS).toBe(UNKNOWN_LIFETIME_S);
  });

  it.each([
    ['a space', { access_token: 'a b' }, /access_token must be/],
    ['a SASL separator', { access_token: 'x\u0001auth=Bearer y' }, /access_token must be/],
    ['16 KiB and more', { access_token: 'x'.repeat(16 * 1024 + 1) }, /access_token must be/],
    ['a number', { access_token: 42 }, /access_token must be/],
    ['another type', { access_token: 'abc', token_type: 'mac' }, /token_type is mac, not bearer/],
  ])('refuses a 200 without a usable token: %s', (_what, json, reason) => {
    expect(() => ok(json)).toThrow(reason);
  });

  it('a body that is not JSON, or a redirect, is not retried; 5xx, 408 and 429 are', () => {
    const failure = (status: number, body = 'x') => {
      try {
        tokenAnswerOf(status, Buffer.from(body), 'https://idp/token');
      } catch (err) {
        return err as OAuthTokenFailure;
      }
      throw new Error('no failure');
    };
    expect(failure(200, '<html>').message).toMatch(/not a JSON object/);
    expect(failure(200).retriable).toBe(false);
    expect(failure(302).retriable).toBe(false);
    expect([500, 503, 408, 429].map((s) => failure(s).retriable)).toEqual([true, true, true, true]);
  });
});

describe('oauthBearerMechanism (SASL/OAUTHBEARER for kafkajs)', () => {
  const token = { value: 'tok.en', extensions: { logicalCluster: 'lkc-1', identityPoolId: 'pool-2' } };
  const framed = (text: string) => {
    const b = Buffer.alloc(4 + Buffer.byteLength(text));
    b.writeInt32BE(Buffer.byteLength(text), 0);
    b.write(text, 4);
    return b;
  };

  it('sends KIP-255 client response with the KIP-342 extensions', () => {
    expect(clientResponse(token).toString()).toBe('n,,\u0001auth=Bearer tok.en\u0001logicalCluster=lkc-1\u0001identityPoolId=pool-2\u0001\u0001');
    expect(clientResponse({ value: 't' }).toString()).toBe('n,,\u0001auth=Bearer t\u0001\u0001');
  });

  it('succeeds on an empty answer; on an error challenge acknowledges it (%x01) and fails with the broker\'s status', async () => {
    const run = async (answer: string) => {
      const sent: string[] = [];
      const saslAuthenticate = async (args: { request: { encode(): Buffer | Promise<Buffer> }; response?: { decode(raw: Buffer): Buffer | Promise<Buffer>; parse(d: Buffer): unknown } }) => {
        sent.push((await args.request.encode()).subarray(4).toString());
        return args.response === undefined ? undefined : args.response.parse(await args.response.decode(framed(answer)));
      };
      const auth = oauthBearerMechanism(async () => token).authenticationProvider({ host: 'b1', port: 9093, logger: undefined as never, saslAuthenticate: saslAuthenticate as never });
      const outcome = await auth.authenticate().then(() => 'ok', (e: Error) => e.message);
      return { outcome, sent };
    };
    expect(await run('')).toEqual({ outcome: 'ok', sent: [clientResponse(token).toString()] });
    const refused = await run('{"status":"invalid_token"}');
    expect(refused.outcome).toBe('SASL OAUTHBEARER authentication failed: the broker b1:9093 refused the token: {"status":"invalid_token"}');
    expect(refused.sent).toEqual([clientResponse(token).toString(), '\u0001']);
  });

  it('without a token, ends the exchange the handshake began (the broker closes the connection) and fails with the source\'s error', async () => {
    const sent: string[] = [];
    const saslAuthenticate = async (args: { request: { encode(): Buffer | Promise<Buffer> }; response?: { decode(raw: Buffer): Buffer | Promise<Buffer>; parse(d: Buffer): unknown } }) => {
      sent.push((await args.request.encode()).subarray(4).toString());
      return args.response?.parse(await args.response.decode(framed('{"status":"invalid_token"}')));
    };
    const down = new OAuthTokenFailure('cannot get an OAuth token from https://idp/token: connect ECONNREFUSED', true);
    const auth = oauthBearerMechanism(() => Promise.reject(down)).authenticationProvider({ host: 'b1', port: 9093, logger: undefined as never, saslAuthenticate: saslAuthenticate as never });
    await expect(auth.authenticate()).rejects.toBe(down);
    expect(sent).toEqual([clientResponse({ value: 'no-token' }).toString(), '\u0001']);
  });
});
