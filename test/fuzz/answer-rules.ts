import type { FuzzRequest } from './fuzz-requests.js';
import { NO_ROUTE } from './fuzz-topic-requests.js';

/** dtx's answer to one fuzz request. `json` is undefined when the body is not JSON. */
export interface FuzzAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

/**
 * A 400 must say which field (or the body) is wrong: one of these words (or of its route's,
 * ROUTE_FIELD_WORDS) must appear in it, or it names a key of the request's body, plain at its start
 * or JSON-quoted (registerBranch takes fields of any name).
 */
const FIELD_WORDS = /\b(request body|body|gid|trans_type|steps|payloads|custom_data|query_prepared|protocol|wait_result|timeout_to_fail|request_timeout|retry_interval|retry_limit|retry_count|branch_headers|concurrent|rollback_reason|position|limit|timeout|createTimeStart|createTimeEnd|status|transType)\b/;
/** The fields of the topic, KV and registerBranch routes, which a 400 of theirs may name besides. */
const TOPIC_WORDS = /\b(topic|topicName|url|remark)\b/;
const BRANCH_WORDS = /\b(branch_id|data|confirm|cancel|url|op)\b/;
const ROUTE_FIELD_WORDS: ReadonlyMap<string, RegExp> = new Map([
  ['subscribe', TOPIC_WORDS], ['unsubscribe', TOPIC_WORDS], ['deleteTopic', TOPIC_WORDS],
  ['scanKV', /\b(cat|position|limit)\b/], ['queryKV', /\b(cat|key)\b/],
  ['registerBranch', BRANCH_WORDS], ['registerTccBranch', BRANCH_WORDS], ['registerXaBranch', BRANCH_WORDS],
]);
const TOPIC_ROUTES = new Set(['subscribe', 'unsubscribe', 'deleteTopic']);

/** dtm's text for a branch error relayed by a `wait_result` submit (spec §7.1: a 500 in dtm too). */
export const PASS_ERROR_PREFIX = 'your http/grpc result should be specified as in:';

/**
 * The 5xx answers that are not failures of dtx: dtm's not-found answer (500, spec §5.6/§5.7), the
 * retryable 503 of a full payload budget, 501 for the trans types dtx refuses until they are
 * implemented, and a `wait_result` submit relaying its pass's branch error (500, spec §7.1).
 */
export function explainedServerError(req: FuzzRequest, a: FuzzAnswer): string | undefined {
  const code = a.json?.code;
  if (a.status === 500 && code === 'DTX_TRANS_NOT_FOUND') return 'not found (dtm answers 500)';
  if (a.status === 500 && code === 'DTX_TOPIC_REFUSED' && TOPIC_ROUTES.has(req.route)) return "refused by the topic's state (dtm answers 500)";
  if (a.status === 503 && code === 'DTX_OVERLOADED') return 'overloaded (retryable)';
  if (a.status === 501 && code === 'DTX_NOT_SUPPORTED') return 'trans type not implemented yet';
  if (a.status === 500 && code === undefined && req.route === 'submit' && String(a.json?.message).startsWith(PASS_ERROR_PREFIX)) return 'wait_result relays a branch error';
  return undefined;
}

/**
 * 4xx answers that break the contract for a reason already reported, each with a fixed case in
 * test/fuzz/hardening-runs.test.ts ("fuzz findings") that fails until src/ is fixed. The fuzz counts them
 * (so that the run goes on to find other problems); delete an entry once its fix is merged.
 */
export const KNOWN_FINDINGS: ReadonlyArray<{ readonly id: string; readonly matches: (req: FuzzRequest, a: FuzzAnswer) => boolean }> = [
];

/** A label for answers the report lists apart: explained 5xx, parser answers, known findings. */
export function answerNote(req: FuzzRequest, a: FuzzAnswer): string | undefined {
  const explained = a.status >= 500 ? explainedServerError(req, a) : undefined;
  if (explained !== undefined) return `explained ${a.status}: ${explained}`;
  return KNOWN_FINDINGS.find((k) => k.matches(req, a))?.id;
}

/** The outcome class of an answer: status x (dtx error code, else dtm_result, else '-'). */
export function outcomeClass(a: FuzzAnswer): string {
  const code = a.json?.code ?? (a.json?.dtm_result !== 'SUCCESS' ? a.json?.dtm_result : undefined);
  return `${a.status} ${typeof code === 'string' ? code : '-'}`;
}

/** Why an answer breaks the API contract, or undefined when it keeps it. */
export function answerProblem(req: FuzzRequest, a: FuzzAnswer): string | undefined {
  // a path outside every route: gin's plain-text 404 (spec: unknown routes)
  if (req.route === NO_ROUTE) return a.status === 404 && a.text === '404 page not found' ? undefined : 'a path that matches no route must get gin\'s "404 page not found"';
  const getJson = req.method !== 'POST';
  if (a.status >= 200 && a.status < 300) {
    if (a.json === undefined) return '2xx answer is not a JSON object';
    // prepareWorkflow answers the stored transaction and its progresses (spec §2.2, §2.3)
    if (req.route === 'prepareWorkflow') return typeof a.json.transaction === 'object' && Array.isArray(a.json.progresses) ? undefined : '2xx answer to prepareWorkflow is not {transaction, progresses}';
    if (!getJson && a.json.dtm_result !== 'SUCCESS') return '2xx answer to a POST is not {"dtm_result":"SUCCESS"}';
    if (!getJson && a.text.includes('FAILURE')) return 'a success answer contains FAILURE (clients read it as a failure, spec §3.1)';
    return undefined;
  }
  if (a.status >= 400 && a.status < 500) return KNOWN_FINDINGS.some((k) => k.matches(req, a)) ? undefined : clientErrorProblem(req, a);
  if (a.status >= 500 && explainedServerError(req, a) !== undefined) return undefined;
  return `answer ${a.status} is neither 2xx, 4xx nor an explained 5xx`;
}

function clientErrorProblem(req: FuzzRequest, a: FuzzAnswer): string | undefined {
  const message = a.json?.message;
  if (typeof message !== 'string' || message === '') return `${a.status} answer without a JSON "message"`;
  const namesBodyKey = Object.keys(req.json ?? {}).some((k) => message.startsWith(`${k.slice(0, 64)}:`) || message.includes(JSON.stringify(k.slice(0, 64))));
  const namesField = FIELD_WORDS.test(message) || ROUTE_FIELD_WORDS.get(req.route)?.test(message) === true || namesBodyKey;
  if (a.status === 400 && !namesField) return `400 message names no field: ${JSON.stringify(message)}`;
  if (a.status === 409 && (a.json?.dtm_result !== 'FAILURE' || !message.includes('FAILURE'))) return '409 answer is not a dtm FAILURE envelope';
  if (a.status === 425 && a.json?.dtm_result !== 'ONGOING') return '425 answer is not a dtm ONGOING envelope';
  return undefined;
}

export function parseAnswer(status: number, text: string): FuzzAnswer {
  let json: Record<string, unknown> | undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status, text, json };
}
