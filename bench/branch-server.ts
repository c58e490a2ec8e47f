/**
 * Loopback branch service of the `http` benchmark workload, run as its own process by
 * bench/branch-service.ts (`fork`), so branch calls are not served on the load generator's event
 * loop. Answers every request with 200 `{"dtm_result":"SUCCESS"}` after reading the body.
 * Reports its port over IPC, answers `calls` with the request count, and exits when the parent
 * goes away, on SIGTERM, or after argv[2] seconds (default 3600) whatever happens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const maxLifetimeSeconds = Number(process.argv[2] ?? 3600);
let calls = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    calls++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"dtm_result":"SUCCESS"}');
  });
});
server.keepAliveTimeout = 60_000;

const quit = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (m) => {
  if (m === 'calls') process.send?.({ calls });
});
process.on('disconnect', quit);
process.on('SIGTERM', quit);
setTimeout(quit, maxLifetimeSeconds * 1000).unref();
