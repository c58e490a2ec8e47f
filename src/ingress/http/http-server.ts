import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer as createHttpServer, maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { BadRequest, CoordinatorError, Forbidden, HeadersTooLarge, Internal, Overloaded, PayloadTooLarge } from '../../errors.js';
import { browserGuard, type BrowserGuardOptions } from './browser-guard.js';
import { BodyBudget } from './body-budget.js';
import type { ReadBudget } from '../read-budget.js';
import { dtmsvrRoutes, type DtmsvrRouteDeps } from './dtmsvr-routes.js';
import { dtxRoutes, type DtxRouteDeps } from './dtx-routes.js';
import { errorAnswer, writeJson, type JsonAnswer } from './reply-mapper.js';
import { authorizationCheck, bearerAuth } from './bearer-auth.js';
import type { Metrics } from '../../observability/metrics.js';
import { adminRoutes } from '../../admin/admin-routes.js';
import { jsonRpcRoute } from '../jsonrpc/json-rpc-route.js';
import { metricsMiddleware } from './metrics-middleware.js';
import { fastTransRoute } from './fast-trans-route.js';

export interface HttpIngressOptions extends DtmsvrRouteDeps, DtxRouteDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** `HttpMaxBodyBytesInFlight`: bytes of bodies and gRPC messages being read at once, shared with the gRPC ingress. */
  readonly readBudget: ReadBudget;
  readonly metrics: Metrics;
  /** Bearer tokens of `Auth.Tokens`; empty = no authentication (dtm's behaviour). */
  readonly tokens: readonly string[];
  /** `Auth.PublicMetrics`: /api/metrics needs no token. /api/ping never does. */
  readonly publicMetrics: boolean;
  /** dtm's AdminBasePath: where the admin UI is served ('' = '/'). */
  readonly adminBasePath?: string;
  /** What browser requests may name in `Host` (DNS rebinding); absent: IP literals and localhost only. */
  readonly browserHosts?: BrowserGuardOptions;
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
  const authorized = authorizationCheck(opts.tokens);
  const fast = fastTransRoute({ ...opts, authorized, answerError: (err, path, res) => answerError(err, path, (a) => writeJson(res, a)) });
  const budget = new BodyBudget(opts.readBudget, opts.maxBodyBytes);
  const browserProblem = browserGuard(opts.browserHosts ?? { allowedHosts: [], ownNames: [] });
  return (req, res) => {
    const refused = browserProblem(req.url ?? '', req.headers);
    if (refused !== undefined) {
      res.setHeader('Connection', 'close'); // its body is not read
      return answerError(new Forbidden(refused), req.url ?? '', (a) => writeJson(res, a));
    }
    // a request the token check refuses is answered before its body is read: it spends nothing
    if (authorized(req.headers.authorization) && !budget.admit(req, res)) {
      res.setHeader('Connection', 'close');
      const overloaded = new Overloaded(`request bodies and gRPC messages being read hold HttpMaxBodyBytesInFlight (${budget.cap} bytes); retry later`);
      return answerError(overloaded, req.url ?? '', (a) => writeJson(res, a));
    }
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
    // the router's: a path segment that does not percent-decode (`/topic/%ZZ`)
    if (err instanceof URIError && e.status === 400) return send(errorAnswer(new BadRequest(`URL path: ${e.message ?? 'not decodable'}`)));
    // body-parser's own refusals (undecodable Content-Encoding, unsupported charset, aborted upload)
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return send(errorAnswer(new BadRequest(`request body: unreadable (${e.message ?? 'no reason given'})`)));
    }
    log.error({ err, path }, 'unexpected error in HTTP handler');
    return send(errorAnswer(new Internal(`internal error: ${e.message ?? String(err)}`)));
  };
}

/** Methods whose routes read no body: GET (HEAD is answered by the GET route), DELETE, OPTIONS. */
const BODYLESS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/** Parses the raw body as JSON for POST routes; the others carry no body. */
function jsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (BODYLESS.has(req.method)) return next();
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
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * The HTTP server's `clientError` listener: what Node's parser refuses before any route sees the
 * request. Without a listener Node answers these with a status and no body; dtx answers them as
 * every other bad input, a JSON error naming the problem: a request line and headers over Node's
 * header size limit (`--max-http-header-size`, 16 KiB by default: a query string that long is no
 * dtm request) with 431 `DTX_HEADERS_TOO_LARGE`, oversize chunk extensions with 413, any other
 * parse error with 400 and llhttp's reason. A request that timed out gets Node's own 408, and a
 * socket error (the client went away) Node's 400, both without a body. As Node does, nothing is
 * written once a response has begun on the socket, and the socket is closed.
 */
function answerClientError(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
  if (socket.writable && !responseBegun(socket)) socket.write(responseOf(err));
  socket.destroy(err);
}

function responseOf(err: Error & { code?: string; reason?: string }): string {
  const code = err.code ?? '';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return bare(408);
  if (code === 'HPE_HEADER_OVERFLOW') return json(new HeadersTooLarge(`request line and headers exceed ${maxHeaderSize} bytes`));
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return json(new PayloadTooLarge('request body: chunk extensions too large'));
  if (code.startsWith('HPE_')) return json(new BadRequest(`malformed HTTP request: ${err.reason ?? code}`));
  return bare(400);
}

/** Node's test for an in-flight response whose head went out (`_http_server.js`, socketOnError). */
function responseBegun(socket: Duplex): boolean {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return inFlight?.headersSent === true;
}

function bare(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`;
}

function json(err: CoordinatorError): string {
  const answer = errorAnswer(err);
  const body = JSON.stringify(answer.body);
  return `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
