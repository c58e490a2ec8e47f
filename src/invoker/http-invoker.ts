/**
 * The HTTP and JSON-RPC branch invoker (spec §6.1–§6.3, §6.5, §8.5) on one undici Agent: a
 * keep-alive pool per origin, shared by every branch call and the alert webhook.
 *
 * Contract (port in ./invoker.ts): `call` never rejects for branch-side problems (transport error,
 * timeout, odd status, bad JSON-RPC answer → `result: 'ERROR'`); it rejects only for programmer
 * errors (non-positive timeout). gRPC URLs are not handled here: they come back as ERROR.
 */
import { randomUUID } from 'node:crypto';
import type { Agent as AgentInstance, buildConnector as BuildConnector, Dispatcher } from 'undici';
import { Agent, buildConnector } from './undici-core.js';
import type { Logger } from 'pino';
import { classifyHttpAnswer } from '../protocol/outcome-table.js';
import { branchTransportOf, branchUrlWithQuery } from './branch-url.js';
import { httpExchange } from './http-exchange.js';
import type { HttpExchangeRequest } from './http-exchange.js';
import type { BranchCall, BranchOutcome, Invoker } from './invoker.js';
import { buildJsonRpcRequest, classifyJsonRpcAnswer } from './json-rpc-call.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { ipOfHost } from './allow-entry.js';
import { cancelUnsent } from './unsent-cancel.js';

export interface HttpInvokerOptions {
  readonly logger?: Logger;
  /** Max sockets per origin (undici Pool `connections`). Default 64. */
  readonly connectionsPerOrigin?: number;
  /** Idle keep-alive time when the server gives no hint, ms. Default 10 000. */
  readonly keepAliveTimeoutMs?: number;
  /** Bytes of a branch answer read and classified; the rest is dropped. Default 4 MiB. */
  readonly maxAnswerBytes?: number;
  /** Outbound allow-list, applied to the address of every new connection. Default: none. */
  readonly policy?: OutboundPolicy;
  /** Rewrites each branch/webhook URL before use (IS_DOCKER, driver HTTP middlewares, spec §6.1). */
  readonly rewriteUrl?: (url: string) => string;
  /** JSON-RPC request ids (dtm uses shortuuid). Default: random UUID. */
  readonly newRequestId?: () => string;
  /** `User-Agent` of branch calls (branch_headers may override). */
  readonly userAgent?: string;
}

const DEFAULT_CONNECTIONS = 64;
const DEFAULT_KEEP_ALIVE_MS = 10_000;
const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const DEFAULT_USER_AGENT = 'dtx (dtm-compatible)';

export class HttpInvoker implements Invoker {
  readonly #agent: AgentInstance;
  /** `#agent` with the interceptor that drops calls of ended transactions before they are sent. */
  readonly #dispatcher: Dispatcher;
  readonly #logger: Logger | undefined;
  readonly #maxAnswerBytes: number;
  readonly #rewriteUrl: (url: string) => string;
  readonly #newRequestId: () => string;
  readonly #userAgent: string;
  readonly #defaultHeaders: Readonly<Record<string, string>>;

  constructor(options: HttpInvokerOptions = {}) {
    const keepAliveTimeout = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.#agent = new Agent({
      connections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS,
      keepAliveTimeout,
      keepAliveMaxTimeout: Math.max(keepAliveTimeout, 60_000),
      ...(options.policy ? { connect: guardedConnector(options.policy) } : {}),
    });
    this.#dispatcher = this.#agent.compose(cancelUnsent());
    this.#logger = options.logger;
    this.#maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.#rewriteUrl = options.rewriteUrl ?? ((url) => url);
    this.#newRequestId = options.newRequestId ?? (() => randomUUID());
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#defaultHeaders = Object.freeze({ 'content-type': 'application/json', 'user-agent': this.#userAgent });
  }

  async call(call: BranchCall): Promise<BranchOutcome> {
    const transport = branchTransportOf(call.protocol, call.url);
    if (transport === 'none') return { result: 'SUCCESS', message: '' };
    if (transport === 'grpc') {
      return { result: 'ERROR', message: `not an HTTP branch URL: '${call.url}' (protocol ${call.protocol})` };
    }
    const started = performance.now();
    const outcome = transport === 'json-rpc' ? await this.#callJsonRpc(call) : await this.#callHttp(call);
    if (this.#logger?.isLevelEnabled('debug') === true) this.#logger.debug(
      {
        gid: call.gid,
        branchId: call.branchId,
        op: call.op,
        url: call.url,
        result: outcome.result,
        httpStatus: outcome.httpStatus,
        ms: Math.round(performance.now() - started),
      },
      'branch call',
    );
    return outcome;
  }

  async postJson(url: string, body: unknown, timeoutMs: number): Promise<number | undefined> {
    try {
      const answer = await httpExchange(this.#agent, {
        method: 'POST',
        url: this.#rewriteUrl(url),
        headers: { 'content-type': 'application/json', 'user-agent': this.#userAgent },
        body: JSON.stringify(body) ?? 'null',
        timeoutMs,
        maxAnswerBytes: this.#maxAnswerBytes,
      });
      if (answer.ok) return answer.status;
      this.#logger?.warn({ url, error: answer.message }, 'webhook call failed');
    } catch (err) {
      this.#logger?.warn({ url, err }, 'webhook call failed');
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Spec §6.2: POST with the payload verbatim when there is one (or xa phase 2), else GET. */
  async #callHttp(call: BranchCall): Promise<BranchOutcome> {
    const post = call.payload.byteLength > 0 || call.forcePost === true || call.transType === 'xa';
    const url = branchUrlWithQuery(this.#rewriteUrl(call.url), call);
    return this.#exchange({
      method: post ? 'POST' : 'GET',
      url,
      headers: this.#headersOf(call),
      ...(post ? { body: call.payload } : {}),
      timeoutMs: call.timeoutMs,
      maxAnswerBytes: this.#maxAnswerBytes,
      ...(call.signal ? { cancelUnsent: call.signal } : {}),
    }, classifyHttpAnswer);
  }

  /** Spec §6.3: POST the envelope to the URL as given (its query carries `method`). */
  async #callJsonRpc(call: BranchCall): Promise<BranchOutcome> {
    const envelope = buildJsonRpcRequest(call, this.#newRequestId());
    if (!envelope.ok) return { result: 'ERROR', message: envelope.message };
    return this.#exchange({
      method: 'POST',
      url: this.#rewriteUrl(call.url),
      headers: this.#headersOf(call),
      body: envelope.body,
      timeoutMs: call.timeoutMs,
      maxAnswerBytes: this.#maxAnswerBytes,
      ...(call.signal ? { cancelUnsent: call.signal } : {}),
    }, classifyJsonRpcAnswer);
  }

  async #exchange(
    req: HttpExchangeRequest,
    classify: (status: number, body: string) => { result: BranchOutcome['result']; message: string },
  ): Promise<BranchOutcome> {
    const answer = await httpExchange(this.#dispatcher, req);
    if (!answer.ok) return { result: 'ERROR', message: answer.message, ...(answer.notStarted ? { notStarted: true as const } : {}) };
    const { result, message } = classify(answer.status, answer.body);
    return { result, message, httpStatus: answer.status };
  }

  /**
   * `Content-type: application/json` (also on GET), then branch_headers; later wins. Names are
   * lower-cased so an override replaces the default instead of sending both.
   */
  #headersOf(call: BranchCall): Record<string, string> {
    if (Object.keys(call.headers).length === 0) return this.#defaultHeaders; // most calls: shared, never changed
    const headers = new Map<string, string>(Object.entries(this.#defaultHeaders));
    for (const [name, value] of Object.entries(call.headers)) headers.set(name.toLowerCase(), value);
    return Object.fromEntries(headers);
  }
}

type Connector = ReturnType<typeof buildConnector>;

/**
 * undici's connector with the outbound policy in front: IP literals are checked directly, host
 * names through a lookup that keeps only allowed addresses (one connector per port, since the
 * verdict depends on it). A refused connection fails the call as ERROR, retried later.
 */
function guardedConnector(policy: OutboundPolicy): Connector {
  const byPort = new Map<number, Connector>();
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const literal = ipOfHost(opts.hostname);
    if (literal !== undefined) {
      const problem = policy.addressProblem(opts.hostname, literal.toString(), port);
      if (problem !== undefined) return callback(Object.assign(new Error(problem), { code: 'DTX_OUTBOUND_REFUSED' }), null);
    }
    let connector = byPort.get(port);
    if (connector === undefined) {
      connector = buildConnector({ lookup: policy.lookupFor(port) } as unknown as BuildConnector.BuildOptions);
      byPort.set(port, connector);
    }
    return connector(opts, callback);
  };
}
