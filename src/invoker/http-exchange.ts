/**
 * One HTTP request/answer over an undici dispatcher, bounded by a single deadline that covers
 * connect, headers and body. Never rejects for network-side problems: they come back as
 * `{ ok: false, message }` naming the method, the URL and the cause. The answer body is always
 * either read to the end or the request aborted, so the pooled connection is reused or dropped, never leaked.
 */
import type { Dispatcher } from 'undici';
import type { CallCancel } from './invoker.js';
import { UNSENT_SIGNAL } from './unsent-cancel.js';

export interface HttpExchangeRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent for GET: no body, no content-length. */
  readonly body?: Uint8Array | string;
  /** Deadline for the whole exchange, ms (> 0). */
  readonly timeoutMs: number;
  /**
   * Bytes of the answer body kept; the rest is not read (the connection is dropped). The answer is
   * still classified, by its status and these first bytes.
   */
  readonly maxAnswerBytes: number;
  /**
   * Drops the request if it is aborted before the request is written (a transaction force-stopped
   * while its call waits for a pooled connection); a request already sent is not interrupted.
   * Needs a dispatcher composed with `cancelUnsent()` (unsent-cancel.ts).
   */
  readonly cancelUnsent?: CallCancel;
}

export type HttpExchangeResult =
  | { readonly ok: true; readonly status: number; readonly body: string; readonly truncated: boolean }
  /** `notStarted`: dropped by `cancelUnsent` before a byte was written (the branch never saw it). */
  | { readonly ok: false; readonly message: string; readonly notStarted?: true };

class ExchangeTimeout extends Error {
  override name = 'ExchangeTimeout';
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const withCode = typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  return `${withCode}${cause}`;
}

/** Performs the exchange. Throws only a RangeError for a non-positive/non-finite timeout. */
export function httpExchange(dispatcher: Dispatcher, req: HttpExchangeRequest): Promise<HttpExchangeResult> {
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${req.timeoutMs}`);
  }
  let target: URL;
  try {
    target = new URL(req.url);
  } catch (err) {
    return Promise.resolve({ ok: false, message: `${req.method} "${req.url}": ${causeText(err)}` });
  }
  return new Promise((resolve) => {
    new Exchange(req, resolve).start(dispatcher, target);
  });
}

/**
 * One exchange on undici's dispatch API: the answer is collected from `onResponseData` chunks
 * (no AbortController, no body stream per call: that was most of a branch call's client CPU).
 * Settles once; a timeout or a truncation aborts the request through its controller, which drops
 * the connection, and later callbacks are ignored.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #stop: Error | undefined;
  #status = 0;
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly req: HttpExchangeRequest,
    private readonly done: (r: HttpExchangeResult) => void,
  ) {
    this.#timer = setTimeout(() => this.#abort(new ExchangeTimeout(`timeout after ${req.timeoutMs}ms`)), req.timeoutMs);
  }

  start(dispatcher: Dispatcher, target: URL): void {
    const { req } = this;
    const opts: Dispatcher.DispatchOptions = {
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(req.cancelUnsent === undefined ? {} : { [UNSENT_SIGNAL]: req.cancelUnsent }),
    };
    try {
      dispatcher.dispatch(opts, this);
    } catch (err) {
      this.#fail(err);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#stop !== undefined) controller.abort(this.#stop);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    const room = this.req.maxAnswerBytes - this.#size;
    this.#chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
    this.#size += Math.min(chunk.byteLength, room);
    if (chunk.byteLength <= room) return;
    // the rest is not read: classified by status and these bytes; the connection is dropped
    this.#settle({ ok: true, status: this.#status, body: this.#text(), truncated: true });
    controller.abort(new Error('answer above maxAnswerBytes'));
  }

  onResponseEnd(): void {
    this.#settle({ ok: true, status: this.#status, body: this.#text(), truncated: false });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#fail(err);
  }

  #abort(reason: Error): void {
    if (this.#settled) return;
    this.#stop = reason;
    this.#fail(reason);
    this.#controller?.abort(reason);
  }

  #fail(err: unknown): void {
    const reason: unknown = this.#stop ?? err;
    const cancel = this.req.cancelUnsent;
    const dropped = cancel?.aborted === true && reason === cancel.reason;
    this.#settle({ ok: false, message: `${this.req.method} "${this.req.url}": ${causeText(reason)}`, ...(dropped ? { notStarted: true as const } : {}) });
  }

  #settle(result: HttpExchangeResult): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#chunks = [];
    this.done(result);
  }

  #text(): string {
    const chunks = this.#chunks;
    if (chunks.length === 1) return chunks[0]!.toString('utf8');
    return Buffer.concat(chunks, this.#size).toString('utf8');
  }
}
