import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dtmExpressHandler, DtmFailure, DtmOngoing, type BranchContext } from '../../src/index.js';

/** What a scripted branch does on its nth call to a path: answer a dtm result, or run a function. */
export type Outcome = 'SUCCESS' | 'FAILURE' | 'ONGOING' | 'ERROR';
export type Script = (call: BusiCall, nth: number) => Outcome | Promise<Outcome>;

export interface BusiCall {
  readonly path: string;
  readonly method: string;
  readonly ctx: BranchContext;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Throws the error that makes the handler answer `outcome` (dtm's result codes). */
export function answer(outcome: Outcome, path: string): void {
  if (outcome === 'FAILURE') throw new DtmFailure(`${path}: Insufficient balance`);
  if (outcome === 'ONGOING') throw new DtmOngoing();
  if (outcome === 'ERROR') throw new Error(`${path}: boom`);
}

/**
 * A real express branch service on loopback whose routes are dtx-client's dtmExpressHandler: each
 * call is recorded with the BranchContext the handler read, and answered as the test scripts it
 * per path (default SUCCESS).
 */
export class BusiHttp {
  readonly calls: BusiCall[] = [];
  readonly #scripts = new Map<string, Script>();
  readonly #counts = new Map<string, number>();
  #server!: Server;
  port = 0;

  static async start(): Promise<BusiHttp> {
    const b = new BusiHttp();
    const app = express();
    app.use(express.json({ type: () => true }));
    app.all(/^\/api\/.+/, dtmExpressHandler(async (ctx, req: express.Request) => {
      const call: BusiCall = { path: req.path, method: req.method, ctx, body: req.body, headers: req.headers };
      b.calls.push(call);
      const key = `${ctx.gid}|${req.path}`;
      const nth = (b.#counts.get(key) ?? 0) + 1;
      b.#counts.set(key, nth);
      const script = b.#scripts.get(key) ?? b.#scripts.get(`*|${req.path}`);
      answer(script ? await script(call, nth) : 'SUCCESS', req.path);
      return undefined;
    }));
    b.#server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    b.port = (b.#server.address() as AddressInfo).port;
    return b;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}/api${path}`;
  }

  /** Scripts the answers of `path` for transaction `gid` ('*' = every transaction without its own script). */
  on(gid: string, path: string, script: Script | Outcome): this {
    this.#scripts.set(`${gid}|/api${path}`, typeof script === 'function' ? script : () => script);
    return this;
  }

  /** Calls to `/api<path>` of transaction `gid`, in arrival order. */
  callsTo(path: string, gid: string): BusiCall[] {
    return this.calls.filter((c) => c.path === `/api${path}` && c.ctx.gid === gid);
  }

  /** The paths called for `gid`, with their op, in arrival order. */
  trace(gid: string): string[] {
    return this.calls.filter((c) => c.ctx.gid === gid).map((c) => `${c.path.slice(4)}:${c.ctx.op}`);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
