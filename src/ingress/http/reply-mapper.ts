import type { ServerResponse } from 'node:http';
import type { Response } from 'express';
import { httpStatusOf } from '../../protocol/outcome-table.js';
import { errorRowOf } from '../../protocol/error-table.js';
import type { Reply } from '../../engine/command.js';
import type { CoordinatorError } from '../../errors.js';

/** An answer to write: status and JSON body. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

const SUCCESS: JsonAnswer = { status: 200, body: { dtm_result: 'SUCCESS' } };

/**
 * dtm's envelope (spec §3.1): SUCCESS 200 `{"dtm_result":"SUCCESS"}`; FAILURE 409 and ONGOING 425
 * with `dtm_result` and `message`; other errors `{"message"}` with 500 (or dtx's 4xx/5xx codes).
 * A success body never contains the word FAILURE.
 */
export function replyAnswer(reply: Reply): JsonAnswer {
  if (reply.ok) return SUCCESS;
  const status = reply.code !== undefined ? errorRowOf(reply.code).httpStatus : httpStatusOf(reply.result);
  if (reply.result === 'FAILURE' || reply.result === 'ONGOING') {
    return { status, body: { dtm_result: reply.result, message: reply.message, ...(reply.code ? { code: reply.code } : {}) } };
  }
  return { status, body: { message: reply.message, ...(reply.code ? { code: reply.code } : {}) } };
}

/** A dtx error as `{"message","code"}` with the status the error table gives its code. */
export function errorAnswer(err: CoordinatorError): JsonAnswer {
  return { status: err.httpStatus, body: { message: err.message, code: err.code } };
}

export function sendReply(res: Response, reply: Reply): void {
  const a = replyAnswer(reply);
  res.status(a.status).json(a.body);
}

export function sendError(res: Response, err: CoordinatorError): void {
  const a = errorAnswer(err);
  res.status(a.status).json(a.body);
}

/**
 * Writes `answer` on a plain node response exactly as express's `res.status().json()` does for
 * dtx (no ETag, no JSON replacer or spaces): the same status, `Content-Type` and `Content-Length`.
 */
export function writeJson(res: ServerResponse, answer: JsonAnswer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
