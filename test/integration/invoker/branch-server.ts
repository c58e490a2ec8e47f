/**
 * A real `node:http` branch server on 127.0.0.1 (random port) for invoker tests: records every
 * request (method, raw URL, headers, body bytes) and counts TCP connections.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type BranchHandler = (req: RecordedRequest, res: ServerResponse) => void;

export interface BranchServer {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  connections(): number;
  close(): Promise<void>;
}

/** Answers `status` with `body` (text/plain unless it looks like JSON). */
export function reply(res: ServerResponse, status: number, body = ''): void {
  const type = body.startsWith('{') ? 'application/json' : 'text/plain';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startBranchServer(handler: BranchHandler): Promise<BranchServer> {
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { refusedPort } from '../../support/free-port.js';
