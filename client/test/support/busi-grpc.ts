import * as grpc from '@grpc/grpc-js';
import { dtmGrpcHandler, rawServiceDefinition, type BranchContext } from '../../src/index.js';
import { answer, type Outcome } from './busi-http.js';

export const BUSI_SERVICE = 'busi.Busi';
const METHODS = ['TransOut', 'TransOutRevert', 'TransIn', 'TransInRevert', 'TransOutConfirm', 'TransInConfirm', 'QueryPrepared', 'Step'] as const;
export type BusiMethod = (typeof METHODS)[number];

export interface GrpcCall {
  readonly method: string;
  readonly ctx: BranchContext;
  readonly body: string;
  readonly metadata: grpc.Metadata;
}

/**
 * A real grpc-js branch service (`busi.Busi`) on loopback whose methods take and answer raw bytes
 * (the payload as dtm sends it) through dtx-client's dtmGrpcHandler; calls are recorded and
 * answered as the test scripts them per method (default SUCCESS, replying `{"ok":true}`).
 */
export class BusiGrpc {
  readonly calls: GrpcCall[] = [];
  readonly #scripts = new Map<string, (call: GrpcCall, nth: number) => Outcome>();
  readonly #counts = new Map<string, number>();
  readonly #server = new grpc.Server();
  port = 0;

  static async start(): Promise<BusiGrpc> {
    const b = new BusiGrpc();
    const impl = Object.fromEntries(
      METHODS.map((m) => [
        m,
        dtmGrpcHandler<Buffer, Buffer>(async (ctx, request, call) => {
          const rec: GrpcCall = { method: m, ctx, body: request.toString('utf8'), metadata: call.metadata };
          b.calls.push(rec);
          const key = `${ctx.gid}|${m}`;
          const nth = (b.#counts.get(key) ?? 0) + 1;
          b.#counts.set(key, nth);
          answer((b.#scripts.get(key) ?? b.#scripts.get(`*|${m}`))?.(rec, nth) ?? 'SUCCESS', m);
          return Buffer.from('{"ok":true}');
        }),
      ]),
    );
    b.#server.addService(rawServiceDefinition(BUSI_SERVICE, METHODS), impl);
    b.port = await new Promise<number>((resolve, reject) => b.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
    return b;
  }

  /** dtm's gRPC branch URL of a method: `127.0.0.1:<port>/busi.Busi/<method>`. */
  url(method: BusiMethod): string {
    return `127.0.0.1:${this.port}/${BUSI_SERVICE}/${method}`;
  }

  /** Scripts the answers of `method` for transaction `gid` ('*' = every transaction without its own script). */
  on(gid: string, method: BusiMethod, script: ((call: GrpcCall, nth: number) => Outcome) | Outcome): this {
    this.#scripts.set(`${gid}|${method}`, typeof script === 'function' ? script : () => script);
    return this;
  }

  trace(gid: string): string[] {
    return this.calls.filter((c) => c.ctx.gid === gid).map((c) => `${c.method}:${c.ctx.op}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.#server.tryShutdown(() => r()));
  }
}
