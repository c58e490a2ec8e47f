import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP branch service on loopback whose answers a test scripts per path. */
export interface BranchCall {
  readonly path: string;
  readonly method: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

export interface Answer {
  readonly status?: number;
  readonly body?: string;
  /** delay before answering, ms */
  readonly delayMs?: number;
}

type Script = (call: BranchCall, nth: number) => Answer | Promise<Answer>;

export class BranchServer {
  readonly calls: BranchCall[] = [];
  readonly #scripts = new Map<string, Script>();
  readonly #counts = new Map<string, number>();
  #server!: Server;
  port = 0;

  static async start(): Promise<BranchServer> {
    const s = new BranchServer();
    s.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const call: BranchCall = {
          path: url.pathname,
          method: req.method ?? '',
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        s.calls.push(call);
        const nth = (s.#counts.get(call.path) ?? 0) + 1;
        s.#counts.set(call.path, nth);
        const script: Script = s.#scripts.get(call.path) ?? (() => ({ status: 200, body: '{"dtm_result":"SUCCESS"}' }));
        void Promise.resolve(script(call, nth)).then((a) => {
          const send = () => {
            res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
            res.end(a.body ?? '{"dtm_result":"SUCCESS"}');
          };
          if (a.delayMs) setTimeout(send, a.delayMs);
          else send();
        });
      });
    });
    await new Promise<void>((r) => s.#server.listen(0, '127.0.0.1', r));
    s.port = (s.#server.address() as AddressInfo).port;
    return s;
  }

  url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  on(path: string, script: Script | Answer): this {
    this.#scripts.set(path, typeof script === 'function' ? script : () => script);
    return this;
  }

  callsTo(path: string, gid?: string): BranchCall[] {
    return this.calls.filter((c) => c.path === path && (gid === undefined || c.query.gid === gid));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

export const SUCCESS: Answer = { status: 200, body: '{"dtm_result":"SUCCESS"}' };
export const FAILURE: Answer = { status: 409, body: '{"dtm_result":"FAILURE","message":"Insufficient balance"}' };
export const ONGOING: Answer = { status: 425, body: '{"dtm_result":"ONGOING"}' };
export const ERROR500: Answer = { status: 500, body: 'internal boom' };
