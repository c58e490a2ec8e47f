import { resultOf, RESULT_HTTP_STATUS } from '../dtm-result.js';
import { ensureError } from '../errors.js';

/** An HTTP answer for dtm: status and JSON body. */
export interface BranchAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * What a branch handler answers over HTTP for what it returned or threw (dtm's Result2HttpJSON):
 * a value → 200 with the value as JSON (`{"dtm_result":"SUCCESS"}` when there is none); DtmFailure
 * → 409 `{"dtm_result":"FAILURE","message"}`; DtmOngoing → 425 `{"dtm_result":"ONGOING","message"}`;
 * any other error → 500 `{"message"}`, which dtm retries (unless the message itself contains the
 * word FAILURE or ONGOING: dtm reads those words anywhere in a body).
 */
export function branchAnswer(outcome: { value: unknown } | { error: unknown }): BranchAnswer {
  if ('value' in outcome) {
    const v = outcome.value;
    return { status: 200, body: v === undefined || v === null ? '{"dtm_result":"SUCCESS"}' : JSON.stringify(v) };
  }
  const err = ensureError(outcome.error);
  const result = resultOf(err);
  if (result === 'ERROR') return { status: 500, body: JSON.stringify({ message: err.message }) };
  return { status: RESULT_HTTP_STATUS[result], body: JSON.stringify({ dtm_result: result, message: err.message }) };
}

/** Runs `fn` and turns its outcome into a {@link BranchAnswer}. */
export async function answerOf(fn: () => Promise<unknown>): Promise<BranchAnswer> {
  try {
    return branchAnswer({ value: await fn() });
  } catch (error) {
    return branchAnswer({ error });
  }
}
