import type { RequestHandler } from 'express';
import type { Metrics } from '../../observability/metrics.js';
import { httpApiLabel } from '../../observability/api-label.js';

/**
 * dtm's request metrics for HTTP (spec §13): `type="http"`, `api` = the route's name from the fixed
 * list of known routes (src/observability/api-label.ts; anything else is `unknown`), `status`
 * `fail` when the answer is >= 400. Mounted after the admin UI, whose paths are not API calls.
 */
export function metricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const api = httpApiLabel(req.path);
    const end = metrics.responseDuration.startTimer({ type: 'http', api });
    res.on('finish', () => {
      end();
      metrics.serverProcess.inc({ type: 'http', api, status: res.statusCode >= 400 ? 'fail' : 'ok' });
    });
    next();
  };
}
