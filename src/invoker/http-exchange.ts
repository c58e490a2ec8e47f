/**
 * One HTTP request/answer over an undici dispatcher, bounded by a single deadline that covers
 * connect, headers and body. Never rejects for network-side problems: they come back as
 * `{ ok: false, message }` naming the method, the URL and the cause. The answer body is always
 * either read to the end or destroyed, so the pooled connection is reused or dropped, never leaked.
 */
import { request } from 'undici';
import type { Dispatcher } from 'undici';

export interface HttpExchangeRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent for GET: no body, no content-length. */
  readonly body?: Uint8Array | string;
  /** Deadline for the whole exchange, ms (> 0). */
  readonly timeoutMs: number;
  /** Answers longer than this are not buffered: the exchange fails instead. */
  readonly maxAnswerBytes: number;
}

export type HttpExchangeResult =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly message: string };

class ExchangeTimeout extends Error {
  override name = 'ExchangeTimeout';
}

class AnswerTooLarge extends Error {
  override name = 'AnswerTooLarge';
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const withCode = typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  return `${withCode}${cause}`;
}

async function readBody(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new AnswerTooLarge(`answer larger than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, size).toString('utf8');
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
    });
    answerBody = answer.body;
    const text = await readBody(answer.body, req.maxAnswerBytes);
    return { ok: true, status: answer.statusCode, body: text };
  } catch (err) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
    return { ok: false, message: `${label}: ${causeText(reason)}` };
  } finally {
    clearTimeout(timer);
    // No-op after a full read; otherwise frees (closes) the connection instead of leaking it.
    if (answerBody !== undefined && !answerBody.destroyed) answerBody.destroy();
  }
}
