import { BranchServer, ERROR500, FAILURE, ONGOING, SUCCESS, type Answer, type BranchCall } from '../support/branch-server.js';

/**
 * The branch service of the fuzz: a real HTTP server on loopback (test/support/branch-server.ts)
 * whose answer depends on the path the generated transaction chose, so a fast-check seed decides
 * what every branch answers. `-once` paths answer badly the first time a (gid, branch, op) calls
 * and SUCCESS afterwards, so transactions made of them must finish by themselves.
 */

/** A 200 answer of 5 MiB whose first bytes say SUCCESS: classified by status and first bytes. */
export const HUGE_BYTES = 5 * 1024 * 1024;
let huge: string | undefined;
export function hugeBody(): string {
  huge ??= `{"dtm_result":"SUCCESS","pad":"${'x'.repeat(HUGE_BYTES)}"}`;
  return huge;
}

/** Delay of `/hang`: longer than the request_timeout of most generated transactions. */
export const HANG_MS = 2500;
export const SLOW_MS = 150;

/** Paths whose transactions finish by themselves (a saga with `/fail` rolls back). */
export const SETTLING_PATHS = ['/ok', '/slow', '/huge', '/ongoing-once', '/e500-once', '/empty200', '/text200'] as const;
/** Paths that keep a transaction retrying (until forceStop) or answer oddly. */
export const CHAOS_PATHS = ['/fail', '/fail200', '/ongoing', '/ongoing200', '/e500', '/e201', '/e404', '/hang', '/qp-ok', '/qp-fail', '/qp-ongoing'] as const;
export const ALL_PATHS = [...SETTLING_PATHS, ...CHAOS_PATHS] as const;
export type BranchPath = (typeof ALL_PATHS)[number];

const FIXED: Record<string, Answer> = {
  '/ok': SUCCESS,
  '/qp-ok': SUCCESS,
  '/fail': FAILURE,
  '/qp-fail': FAILURE,
  '/fail200': { status: 200, body: '{"dtm_result":"FAILURE","message":"legacy failure"}' },
  '/ongoing': ONGOING,
  '/qp-ongoing': ONGOING,
  '/ongoing200': { status: 200, body: '{"dtm_result":"ONGOING"}' },
  '/e500': ERROR500,
  '/e201': { status: 201, body: '{"dtm_result":"SUCCESS"}' },
  '/e404': { status: 404, body: 'not found' },
  '/slow': { ...SUCCESS, delayMs: SLOW_MS },
  '/hang': { ...SUCCESS, delayMs: HANG_MS },
  '/empty200': { status: 200, body: '' },
  '/text200': { status: 200, body: 'ok, not json at all' },
};

export class FuzzBranchService {
  readonly #attempts = new Map<string, number>();

  private constructor(readonly server: BranchServer) {}

  static async start(): Promise<FuzzBranchService> {
    const service = new FuzzBranchService(await BranchServer.start());
    for (const [path, answer] of Object.entries(FIXED)) service.server.on(path, answer);
    service.server.on('/huge', () => ({ status: 200, body: hugeBody() }));
    service.server.on('/ongoing-once', (call) => (service.#attempt(call) === 1 ? ONGOING : SUCCESS));
    service.server.on('/e500-once', (call) => (service.#attempt(call) === 1 ? ERROR500 : SUCCESS));
    return service;
  }

  get port(): number {
    return this.server.port;
  }

  url(path: string): string {
    return this.server.url(path);
  }

  /** Calls received for one gid (as the branch service decoded it from the query string). */
  callsOf(gid: string): BranchCall[] {
    return this.server.calls.filter((c) => c.query.gid === gid);
  }

  /** Forgets recorded calls (long fuzz runs): per-branch attempt counts are kept. */
  forgetCalls(): void {
    this.server.calls.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  #attempt(call: BranchCall): number {
    const key = `${call.path}|${call.query.gid}|${call.query.branch_id}|${call.query.op}`;
    const n = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, n);
    return n;
  }
}
