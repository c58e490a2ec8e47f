/**
 * The `api` label of `dtm_server_process_total` and `dtm_server_response_duration` (spec §13):
 * dtm's "last path segment, lower-cased", but only for the routes dtx knows. Any other path or
 * gRPC method counts as `unknown`, so a scanner probing random paths cannot create label values
 * without bound (spec §16.7 and the operator issue). The lists hold every route of dtm's API,
 * served or not yet served, so adding a handler never needs a change here to be counted.
 */

/** Label of paths and methods outside the lists. */
export const UNKNOWN_API = 'unknown';

/** `/api/dtmsvr/<name>` routes of spec §3.2 (lower-cased, as the label). */
const DTMSVR_ROUTES: ReadonlySet<string> = new Set([
  'version', 'newgid', 'prepare', 'submit', 'abort', 'forcestop', 'registerbranch', 'registerxabranch',
  'registertccbranch', 'prepareworkflow', 'query', 'all', 'resetcrontime', 'resetnextcrontime',
  'subscribe', 'unsubscribe', 'scankv', 'querykv',
]);

/** Other API paths (exact, lower-cased) and their label. */
const OTHER_ROUTES: ReadonlyMap<string, string> = new Map([
  ['/api/metrics', 'metrics'],
  ['/api/ping', 'ping'],
  ['/api/json-rpc', 'json-rpc'],
  ['/api/dtx/history', 'history'],
]);

/** gRPC services dtx serves or answers UNIMPLEMENTED for, with their methods (label = method lower-cased). */
const GRPC_METHODS: ReadonlySet<string> = new Set([
  ...['NewGid', 'Submit', 'Prepare', 'Abort', 'RegisterBranch', 'PrepareWorkflow', 'Subscribe', 'Unsubscribe', 'DeleteTopic'].map((m) => `/dtmgimp.Dtm/${m}`),
  '/grpc.health.v1.Health/Check',
  '/grpc.health.v1.Health/Watch',
  '/grpc.health.v1.Health/List',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
]);

/** The label of an HTTP request path (without query string). */
export function httpApiLabel(path: string): string {
  const p = path.toLowerCase().replace(/\/+$/, '');
  const other = OTHER_ROUTES.get(p);
  if (other !== undefined) return other;
  const m = /^\/api\/dtmsvr\/([^/]+)(\/[^/]+)?$/.exec(p);
  if (m === null) return UNKNOWN_API;
  // DELETE /api/dtmsvr/topic/:name counts as `topic`, never as the topic's name
  if (m[2] !== undefined) return m[1] === 'topic' ? 'topic' : UNKNOWN_API;
  return DTMSVR_ROUTES.has(m[1]!) ? m[1]! : UNKNOWN_API;
}

/** The label of a gRPC method path (`/dtmgimp.Dtm/Submit` → `submit`). */
export function grpcApiLabel(methodPath: string): string {
  if (!GRPC_METHODS.has(methodPath)) return UNKNOWN_API;
  return methodPath.slice(methodPath.lastIndexOf('/') + 1).toLowerCase();
}
