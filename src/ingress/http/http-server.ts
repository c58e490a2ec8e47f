import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { BadRequest, CoordinatorError, Internal, PayloadTooLarge } from '../../errors.js';
import { dtmsvrRoutes, type DtmsvrRouteDeps } from './dtmsvr-routes.js';
import { dtxRoutes, type DtxRouteDeps } from './dtx-routes.js';
import { errorAnswer, writeJson, type JsonAnswer } from './reply-mapper.js';
import { bearerAuth, tokenMatcher } from './bearer-auth.js';
import type { Metrics } from '../../observability/metrics.js';
import { adminRoutes } from '../../admin/admin-routes.js';
import { jsonRpcRoute } from '../jsonrpc/json-rpc-route.js';
import { metricsMiddleware } from './metrics-middleware.js';
import { fastTransRoute } from './fast-trans-route.js';

export interface HttpIngressOptions extends DtmsvrRouteDeps, DtxRouteDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly metrics: Metrics;
  /** Bearer tokens of `Auth.Tokens`; empty = no authentication (dtm's behaviour). */
  readonly tokens: readonly string[];
  /** `Auth.PublicMetrics`: /api/metrics needs no token. /api/ping never does. */
  readonly publicMetrics: boolean;
  /** dtm's AdminBasePath: where the admin UI is served ('' = '/'). */
  readonly adminBasePath?: string;
}

/** The request listener of the HTTP ingress. */
export type HttpApp = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP ingress (DESIGN §1.1): dtm's routes on express. Bodies are read raw (dtm ignores
 * Content-Type) and parsed here so that malformed JSON, wrong types and oversize bodies get a 4xx
 * naming the problem; unexpected errors are logged and answered 500 without crashing. The hot
 * transaction calls take a path around express when their request is plain (fast-trans-route.ts).
 */
export function createHttpApp(opts: HttpIngressOptions): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const log = opts.logger.child({ component: 'ingress.http' });
  // admin UI first: its paths (asset names, gids) stay out of the API metrics' `api` label
  app.use(adminRoutes({ basePath: opts.adminBasePath ?? '' }));

  app.use(metricsMiddleware(opts.metrics));
  app.use(bearerAuth({ tokens: opts.tokens, isPublic: (p) => p === '/api/ping' || (opts.publicMetrics && p === '/api/metrics') }));
  app.get('/api/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  app.all('/api/ping', (_req, res) => {
    res.json({ msg: 'pong' });
  });
  app.use('/api/dtx', dtxRoutes(opts));
  app.use('/api/json-rpc', jsonRpcRoute(opts));
  app.use('/api/dtmsvr', express.raw({ type: () => true, limit: opts.maxBodyBytes }), jsonBody, dtmsvrRoutes(opts));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found');
  });
  const answerError = errorAnswerer(log, opts.maxBodyBytes);
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => answerError(err, req.path, (a) => void res.status(a.status).json(a.body)));
  const fast = fastTransRoute({ ...opts, authRequired: opts.tokens.length > 0, authorized: tokenMatcher(opts.tokens), answerError: (err, path, res) => answerError(err, path, (a) => writeJson(res, a)) });
  return (req, res) => {
    if (!fast(req, res)) void app(req, res);
  };
}

/**
 * The answer to an error of a route (express's error handler, and the fast path): a dtx error as
 * its table says, body-parser's 413/4xx as such, anything else logged and answered 500.
 */
function errorAnswerer(log: Logger, maxBodyBytes: number): (err: unknown, path: string, send: (a: JsonAnswer) => void) => void {
  return (err, path, send) => {
    if (err instanceof CoordinatorError) {
      if (err.retryable) log.warn({ err, path }, 'request failed, retryable');
      else if (err.httpStatus === 500 && err.code !== 'DTX_TRANS_NOT_FOUND') log.error({ err, path }, 'request failed');
      return send(errorAnswer(err));
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      return send(errorAnswer(new PayloadTooLarge(`request body exceeds HttpMaxBodyBytes (${maxBodyBytes} bytes)`)));
    }
    // body-parser's own refusals (undecodable Content-Encoding, unsupported charset, aborted upload)
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return send(errorAnswer(new BadRequest(`request body: unreadable (${e.message ?? 'no reason given'})`)));
    }
    log.error({ err, path }, 'unexpected error in HTTP handler');
    return send(errorAnswer(new Internal(`internal error: ${e.message ?? String(err)}`)));
  };
}

/** Parses the raw body as JSON for POST routes; GET routes carry no body. */
function jsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'DELETE') return next();
  const raw = req.body as Buffer | undefined;
  if (raw === undefined || !Buffer.isBuffer(raw) || raw.length === 0) return next(new BadRequest('request body is empty: a JSON object is required'));
  try {
    req.body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    return next(new BadRequest(`request body is not valid JSON: ${(err as Error).message}`));
  }
  next();
}

/** PEM material of `Tls.*`: HTTPS when given; `ca` + `requireClientCert` for mutual TLS. */
export interface HttpTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly requireClientCert: boolean;
}

export function listen(app: HttpApp, host: string, port: number, tls?: HttpTls): Promise<Server> {
  const server: Server = tls === undefined
    ? createHttpServer(app)
    : createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.requireClientCert, rejectUnauthorized: tls.requireClientCert }, app);
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
