/**
 * The benchmark's HTTP client: one keep-alive undici Agent, requests through dtx's own
 * `httpExchange` (undici's dispatch API, no body stream per request). The load generator shares
 * the cores with the servers it measures, so its CPU per request and its event loop's lateness are
 * part of every figure: this path cost ~10% less client CPU per saga than `Agent.request` at 2,000
 * submits/s (docs/benchmarks.md, "The load generator's HTTP client").
 */
import { Agent } from 'undici';
import { httpExchange } from '../src/invoker/http-exchange.js';

const NO_HEADERS: Readonly<Record<string, string>> = {};
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
/** Bytes of an answer read: dtm's answers to submit and query are far smaller. */
const MAX_ANSWER_BYTES = 1 << 20;

export interface BenchAnswer {
  readonly status: number;
  readonly text: string;
}

export class BenchHttp {
  readonly #agent: Agent;

  /** `connections`: per origin; `timeoutMs`: the deadline of every exchange (connect to last byte). */
  constructor(connections: number, private readonly timeoutMs: number) {
    this.#agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  }

  /** One exchange; rejects with the transport failure (its message names the method, URL and cause). */
  async call(origin: string, method: 'GET' | 'POST', path: string, body?: string): Promise<BenchAnswer> {
    const r = await httpExchange(this.#agent, {
      method,
      url: `${origin}${path}`,
      headers: body === undefined ? NO_HEADERS : JSON_HEADERS,
      ...(body === undefined ? {} : { body }),
      timeoutMs: this.timeoutMs,
      maxAnswerBytes: MAX_ANSWER_BYTES,
    });
    if (!r.ok) throw new Error(r.message);
    return { status: r.status, text: r.body };
  }

  /** Fails every exchange still in flight with `reason`. */
  abortAll(reason: Error): void {
    this.#agent.destroy(reason).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#agent.close().catch(() => undefined);
  }
}
