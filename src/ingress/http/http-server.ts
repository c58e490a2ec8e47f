import { CoordinatorError } from '../../errors.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { dtmsvrRoutes, type DtmsvrRouteDeps } from './dtmsvr-routes.js';
import { dtxRoutes, type DtxRouteDeps } from './dtx-routes.js';
import { BadInput } from './trans-request.js';
import { sendError } from './reply-mapper.js';
import type { Metrics } from '../../observability/metrics.js';
import { adminRoutes } from '../../admin/admin-routes.js';

export interface HttpIngressOptions extends DtmsvrRouteDeps, DtxRouteDeps {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly metrics: Metrics;
  /** dtm's AdminBasePath: where the admin UI is served ('' = '/'). */
  readonly adminBasePath?: string;
}

/**
 * The HTTP ingress (DESIGN §1.1): dtm's routes on express. Bodies are read raw (dtm ignores
 * Content-Type) and parsed here so that malformed JSON, wrong types and oversize bodies get a 4xx
 * naming the problem; unexpected errors are logged and answered 500 without crashing.
 */
export function createHttpApp(opts: HttpIngressOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const log = opts.logger.child({ component: 'ingress.http' });
  // admin UI first: its paths (asset names, gids) stay out of the API metrics' `api` label
  app.use(adminRoutes({ basePath: opts.adminBasePath ?? '' }));

  app.use((req, res, next) => {
    // api = last path segment, without the query string (fix of spec §16.7's label cardinality)
    const api = req.path.slice(req.path.lastIndexOf('/') + 1).toLowerCase();
    const end = opts.metrics.responseDuration.startTimer({ type: 'http', api });
    res.on('finish', () => {
      end();
      opts.metrics.serverProcess.inc({ type: 'http', api, status: res.statusCode >= 400 ? 'fail' : 'ok' });
    });
    next();
  });
  app.get('/api/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  app.all('/api/ping', (_req, res) => {
    res.json({ msg: 'pong' });
  });
  app.use('/api/dtx', dtxRoutes(opts));
  app.use('/api/dtmsvr', express.raw({ type: () => true, limit: opts.maxBodyBytes }), jsonBody, dtmsvrRoutes(opts));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found');
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof BadInput) return sendError(res, 400, err.message, 'DTX_BAD_REQUEST');
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      return sendError(res, 413, `request body exceeds HttpMaxBodyBytes (${opts.maxBodyBytes} bytes)`, 'DTX_PAYLOAD_TOO_LARGE');
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendError(res, e.status, `bad request: ${e.message ?? 'unreadable body'}`, 'DTX_BAD_REQUEST');
    }
    if (err instanceof CoordinatorError && err.retryable) {
      // the log or the partition's owner is unavailable for now: a retryable 5xx, not a crash
      log.warn({ err, path: req.path }, 'request failed, retryable');
      return sendError(res, err.httpStatus, err.message, err.code);
    }
    log.error({ err, path: req.path }, 'unexpected error in HTTP handler');
    return sendError(res, 500, `internal error: ${e.message ?? String(err)}`, 'DTX_INTERNAL');
  });
  return app;
}

/** Parses the raw body as JSON for POST routes; GET routes carry no body. */
function jsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'DELETE') return next();
  const raw = req.body as Buffer | undefined;
  if (raw === undefined || !Buffer.isBuffer(raw) || raw.length === 0) return next(new BadInput('request body is empty: a JSON object is required'));
  try {
    req.body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    return next(new BadInput(`request body is not valid JSON: ${(err as Error).message}`));
  }
  next();
}

export function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.keepAliveTimeout = 65_000;
    server.on('error', reject);
  });
}
