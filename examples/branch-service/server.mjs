// Example dtm branch service for the docker-compose setup (service `busi`), without dependencies.
// It answers dtm branch calls the way dtm's own examples do:
//   POST /api/busi/TransOut, /TransOutCompensate, /TransIn, /TransInCompensate -> 200 {"dtm_result":"SUCCESS"}
//   POST /api/busi/TransInFail                                               -> 409 {"dtm_result":"FAILURE"}
//   GET  /health                                                             -> 200 {"status":"ok"}
// Each call is logged as one JSON line on stdout. Env: PORT (default 8081), HOST (default 0.0.0.0).
// Run: node examples/branch-service/server.mjs
import http from 'node:http';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';

const PORT = Number(process.env.PORT ?? 8081);
const HOST = process.env.HOST ?? '0.0.0.0';
const MAX_BODY = 1 << 20;

const SUCCESS = { status: 200, body: { dtm_result: 'SUCCESS' } };
const FAILURE = { status: 409, body: { dtm_result: 'FAILURE' } };
const ROUTES = new Map([
  ['/api/busi/TransOut', SUCCESS],
  ['/api/busi/TransOutCompensate', SUCCESS],
  ['/api/busi/TransIn', SUCCESS],
  ['/api/busi/TransInCompensate', SUCCESS],
  ['/api/busi/TransInFail', FAILURE],
]);

function log(fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(text.length) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://busi');
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      reply(res, 413, { error: 'body too large' });
      req.destroy();
    }
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    const route = req.method === 'POST' ? ROUTES.get(url.pathname) : undefined;
    let status;
    if (route) {
      status = route.status;
      reply(res, route.status, route.body);
    } else if (req.method === 'GET' && url.pathname === '/health') {
      status = 200;
      reply(res, 200, { status: 'ok' });
    } else {
      status = 404;
      reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    }
    if (url.pathname === '/health') return;
    const q = url.searchParams;
    log({
      method: req.method,
      path: url.pathname,
      status,
      gid: q.get('gid') ?? undefined,
      trans_type: q.get('trans_type') ?? undefined,
      branch_id: q.get('branch_id') ?? undefined,
      op: q.get('op') ?? undefined,
      bytes: size,
    });
  });
});

server.on('error', (err) => {
  log({ msg: 'server error', error: err.message });
  process.exit(1);
});
server.listen(PORT, HOST, () => log({ msg: 'branch service listening', host: HOST, port: PORT }));

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log({ msg: 'shutting down', signal });
  server.close(() => {
    log({ msg: 'stopped' });
    process.exit(0);
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
