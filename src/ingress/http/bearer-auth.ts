import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { Unauthorized } from '../../errors.js';

/**
 * Bearer-token authentication of the API (`Auth.Tokens`, docs/security.md). Tokens are compared
 * as SHA-256 digests with `timingSafeEqual`, against every configured token without an early exit,
 * so the time taken says nothing about how much of a token matched. `isPublic` paths pass.
 */
export interface BearerAuthOptions {
  readonly tokens: readonly string[];
  readonly isPublic: (path: string) => boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether `presented` equals one of the configured tokens (constant time in the token's content). */
export function tokenMatcher(tokens: readonly string[]): (presented: string) => boolean {
  const known = tokens.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of known) ok = timingSafeEqual(k, d) || ok;
    return ok;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/** Whether an `Authorization` header passes `Auth.Tokens` (every header does when none are configured). */
export function authorizationCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  if (tokens.length === 0) return () => true;
  const matches = tokenMatcher(tokens);
  return (authorization) => {
    const token = bearerTokenOf(authorization);
    return token !== undefined && matches(token);
  };
}

export function bearerAuth(opts: BearerAuthOptions) {
  const passes = authorizationCheck(opts.tokens);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (opts.isPublic(req.path) || passes(req.headers.authorization)) return next();
    const token = bearerTokenOf(req.headers.authorization);
    res.setHeader('WWW-Authenticate', 'Bearer realm="dtx"');
    next(new Unauthorized(token === undefined ? 'authentication required: send Authorization: Bearer <token>' : 'invalid bearer token'));
  };
}
