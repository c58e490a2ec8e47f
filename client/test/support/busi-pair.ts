import type { DtmServer } from '../../src/index.js';
import { BusiGrpc, type BusiMethod } from './busi-grpc.js';
import { BusiHttp, type Outcome } from './busi-http.js';
import type { Coordinator } from './coordinators.js';

/** One protocol's view of the branch services: the server API, branch URLs by method name, scripts and traces. */
export interface BusiSide {
  readonly protocol: 'http' | 'grpc';
  readonly dtm: DtmServer;
  url(method: BusiMethod): string;
  /** Scripts the answers of `method` for `gid` (default SUCCESS). */
  on(gid: string, method: BusiMethod, outcome: Outcome | ((nth: number) => Outcome)): void;
  /** `Method:op` of the calls of `gid`, in arrival order. */
  trace(gid: string): string[];
  /** Payload texts of the calls to `method` for `gid`. */
  bodies(method: BusiMethod, gid: string): string[];
  /** Header / metadata `name` of the calls to `method` for `gid`. */
  header(method: BusiMethod, gid: string, name: string): Array<string | undefined>;
}

/** The HTTP (express) and gRPC (grpc-js) branch services, started together. */
export class BusiPair {
  private constructor(
    readonly http: BusiHttp,
    readonly grpc: BusiGrpc,
  ) {}

  static async start(): Promise<BusiPair> {
    return new BusiPair(await BusiHttp.start(), await BusiGrpc.start());
  }

  side(protocol: 'http' | 'grpc', coordinator: Coordinator): BusiSide {
    if (protocol === 'http') {
      const h = this.http;
      return {
        protocol,
        dtm: coordinator.http,
        url: (m) => h.url(`/${m}`),
        on: (gid, m, o) => void h.on(gid, `/${m}`, typeof o === 'function' ? (_c, nth) => o(nth) : o),
        trace: (gid) => h.trace(gid).map((t) => t.slice(1)),
        bodies: (m, gid) => h.callsTo(`/${m}`, gid).map((c) => JSON.stringify(c.body)),
        header: (m, gid, name) => h.callsTo(`/${m}`, gid).map((c) => c.headers[name] as string | undefined),
      };
    }
    const g = this.grpc;
    return {
      protocol,
      dtm: coordinator.grpc,
      url: (m) => g.url(m),
      on: (gid, m, o) => void g.on(gid, m, typeof o === 'function' ? (_c, nth) => o(nth) : o),
      trace: (gid) => g.trace(gid),
      bodies: (m, gid) => g.calls.filter((c) => c.method === m && c.ctx.gid === gid).map((c) => c.body),
      header: (m, gid, name) => g.calls.filter((c) => c.method === m && c.ctx.gid === gid).map((c) => c.metadata.get(name)[0]?.toString()),
    };
  }

  async close(): Promise<void> {
    await this.http.close();
    await this.grpc.close();
  }
}
