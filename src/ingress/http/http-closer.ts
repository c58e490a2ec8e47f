import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { settleWithin } from '../../engine/settle-within.js';

/**
 * Closing the HTTP listener without dropping answers: `stopAccepting` refuses new connections and
 * marks every response not yet sent, and those of requests that still arrive on open keep-alive
 * connections, `Connection: close`, so each socket ends once its answer is flushed. `close` waits
 * for that and cuts what is left after a second (a client must not hold the stop).
 */
export function httpCloser(server: Server): { stopAccepting(): void; close(): Promise<void> } {
  // The responses not closed yet, in a dense array (a closed one's slot takes the last one): a Set
  // of them, with an add and a delete per request, made V8 reallocate its table again and again,
  // and those tables outlived scavenges; at 4,200 sagas/s that was 4x the full collections and
  // double the submit p99 (docs/benchmarks.md, "Responses in flight without a Set").
  const open: Array<{ readonly res: ServerResponse; at: number }> = [];
  let closed: Promise<void> | undefined;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closed !== undefined) res.shouldKeepAlive = false;
    const entry = { res, at: open.length };
    open.push(entry);
    res.once('close', () => {
      const last = open.pop()!;
      if (last !== entry) {
        open[entry.at] = last;
        last.at = entry.at;
      }
    });
  });
  const stopAccepting = () => {
    if (closed !== undefined) return;
    closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const { res } of open) if (!res.headersSent) res.shouldKeepAlive = false;
    server.closeIdleConnections();
  };
  return {
    stopAccepting,
    close: async () => {
      stopAccepting();
      if (!(await settleWithin(closed!, 1000))) server.closeAllConnections();
      await closed;
    },
  };
}
