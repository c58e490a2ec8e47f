/**
 * One HTTP request/answer over an undici dispatcher, bounded by a single deadline that covers
 * connect, headers and body. Never rejects for network-side problems: they come back as
 * `{ ok: false, message }` naming the method, the URL and the cause. The answer body is always
 * either read to the end or destroyed, so the pooled connection is reused or dropped, never leaked.
 */
import { request } from 'undici';
import type { Dispatcher } from 'undici';
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
  readonly cancelUnsent?: AbortSignal;
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

/** Reads at most `maxBytes` of the body; stops reading (the caller destroys the body) beyond. */
async function readBody(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = maxBytes - size;
    const part = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, room));
    chunks.push(part);
    size += part.byteLength;
    if (chunk.byteLength > room) return { text: Buffer.concat(chunks, size).toString('utf8'), truncated: true };
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated: false };
}

/** Performs the exchange. Throws only a RangeError for a non-positive/non-finite timeout. */
export async function httpExchange(dispatcher: Dispatcher, req: HttpExchangeRequest): Promise<HttpExchangeResult> {
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number, got ${req.timeoutMs}`);
  }
  const label = `${req.method} "${req.url}"`;
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new ExchangeTimeout(`timeout after ${req.timeoutMs}ms`));
  }, req.timeoutMs);
  let answerBody: Dispatcher.ResponseData['body'] | undefined;
  try {
    const answer = await request(req.url, {
      dispatcher,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
      ...(req.cancelUnsent === undefined ? {} : { [UNSENT_SIGNAL]: req.cancelUnsent }),
    });
    answerBody = answer.body;
    const { text, truncated } = await readBody(answer.body, req.maxAnswerBytes);
    return { ok: true, status: answer.statusCode, body: text, truncated };
  } catch (err) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
    const dropped = req.cancelUnsent?.aborted === true && reason === req.cancelUnsent.reason;
    return { ok: false, message: `${label}: ${causeText(reason)}`, ...(dropped ? { notStarted: true as const } : {}) };
  } finally {
    clearTimeout(timer);
    // No-op after a full read; otherwise frees (closes) the connection instead of leaking it.
    if (answerBody !== undefined && !answerBody.destroyed) answerBody.destroy();
  }
}
