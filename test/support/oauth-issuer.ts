import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * The OAuth 2.0 token endpoint of the secure test broker's issuer (scripts/lib/kafka-secure.sh):
 * HTTPS with the broker's certificate (trusted through ca.pem), a client-credentials grant for one
 * client (HTTP Basic), answering RS256 JWTs signed with the issuer's oauth.key, which the broker
 * checks against jwks.json. `sign` picks another key or audience, so the broker refuses the token.
 */
export interface IssuerOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** `sub` of the tokens: the broker's principal User:<subject> */
  readonly subject: string;
  readonly lifetimeS: number;
  readonly sign?: 'issuer' | 'stranger' | 'wrong-audience';
  /** the port to listen on (an issuer back after an outage); 0 or absent: any free port */
  readonly port?: number;
}

export interface TokenRequest {
  readonly clientId: string;
  readonly body: URLSearchParams;
  /** Date.now() when the token was made */
  readonly at: number;
}

export class OAuthIssuer {
  /** the requests it answered with a token, oldest first */
  readonly issued: TokenRequest[] = [];
  /** every request's status, oldest first */
  readonly statuses: number[] = [];

  /** set once listening; kept after close (an issuer that is down) */
  url = '';

  private constructor(
    private readonly server: Server,
    private readonly key: KeyObject,
    private readonly options: IssuerOptions,
  ) {}

  static async start(tlsDir: string, options: IssuerOptions): Promise<OAuthIssuer> {
    const pem = readFileSync(path.join(tlsDir, 'server.pem'));
    const key = options.sign === 'stranger' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : createPrivateKey(readFileSync(path.join(tlsDir, 'oauth.key')));
    const server = createServer({ key: pem, cert: pem });
    const issuer = new OAuthIssuer(server, key, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const client = basicClient(req.headers.authorization);
        const answer = (status: number, json: object) => {
          issuer.statuses.push(status);
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        };
        if (req.method !== 'POST' || req.url !== '/oauth/token') return answer(404, { error: 'not_found' });
        if (client?.id !== options.clientId || client.secret !== options.clientSecret) return answer(401, { error: 'invalid_client', error_description: 'client authentication failed' });
        if (body.get('grant_type') !== 'client_credentials') return answer(400, { error: 'unsupported_grant_type' });
        issuer.issued.push({ clientId: client.id, body, at: Date.now() });
        answer(200, { access_token: jwt(key, options, body.get('scope') ?? ''), token_type: 'Bearer', expires_in: options.lifetimeS });
      });
    });
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    issuer.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
    return issuer;
  }

  /** A token as the endpoint issues them (its key, audience, subject and lifetime), for a token file. */
  token(): string {
    return jwt(this.key, this.options, '');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** RFC 6749 §2.3.1: Basic of the form-encoded id and secret. */
function basicClient(header: string | undefined): { id: string; secret: string } | undefined {
  if (header?.startsWith('Basic ') !== true) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

function jwt(key: KeyObject, options: IssuerOptions, scope: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = part({ alg: 'RS256', typ: 'JWT', kid: 'kafka-local' });
  const aud = options.sign === 'wrong-audience' ? 'another-cluster' : 'kafka-local';
  const claims = part({ sub: options.subject, aud, iat: now, exp: now + options.lifetimeS, ...(scope === '' ? {} : { scope }) });
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}
