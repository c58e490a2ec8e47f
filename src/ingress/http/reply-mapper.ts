import type { Response } from 'express';
import { httpStatusOf } from '../../protocol/outcome-table.js';
import { errorRowOf } from '../../protocol/error-table.js';
import type { Reply } from '../../engine/command.js';
import type { CoordinatorError } from '../../errors.js';

/**
 * dtm's envelope (spec §3.1): SUCCESS 200 `{"dtm_result":"SUCCESS"}`; FAILURE 409 and ONGOING 425
 * with `dtm_result` and `message`; other errors `{"message"}` with 500 (or dtx's 4xx/5xx codes).
 * A success body never contains the word FAILURE.
 */
export function sendReply(res: Response, reply: Reply): void {
  if (reply.ok) {
    res.status(200).json({ dtm_result: 'SUCCESS' });
    return;
  }
  const status = reply.code !== undefined ? errorRowOf(reply.code).httpStatus : httpStatusOf(reply.result);
  if (reply.result === 'FAILURE' || reply.result === 'ONGOING') {
    res.status(status).json({ dtm_result: reply.result, message: reply.message, ...(reply.code ? { code: reply.code } : {}) });
    return;
  }
  res.status(status).json({ message: reply.message, ...(reply.code ? { code: reply.code } : {}) });
}

/** A dtx error as `{"message","code"}` with the status the error table gives its code. */
export function sendError(res: Response, err: CoordinatorError): void {
  res.status(err.httpStatus).json({ message: err.message, code: err.code });
}
