import { BadRequest } from '../../errors.js';
import type { TopicChange } from '../../engine/topic-state.js';
import { branchUrlProblem, type BranchUrlRules } from './branch-url-rule.js';
import { INPUT_BOUNDS as B } from './input-bounds.js';

/**
 * Inputs of the topic calls (spec §9), shared by the HTTP routes and the gRPC `DtmTopicRequest`.
 * dtm's own texts for what dtm refuses (`empty topic`, `empty url`); dtx's bounds on top, each a
 * BadRequest naming the field: a topic name is 1-128 letters (any script), digits, `_`, `.`, `-`
 * or `:` (it travels in a URL path and in `topic://<name>`), a subscriber URL must be callable
 * like a branch URL, a remark is bounded text.
 */
const TOPIC_NAME = /^[\p{L}\p{N}_.:-]+$/u;

export const TOPIC_RULE_TEXT = `must be 1-${B.topicMaxChars} letters, digits, '_', '.', '-' or ':'`;

export function topicNameProblem(name: string): string | undefined {
  if (name.length > B.topicMaxChars || !TOPIC_NAME.test(name)) return TOPIC_RULE_TEXT;
  return undefined;
}

/** A transport's topic request, before validation (absent fields are ''). */
export interface TopicInput {
  readonly topic: string;
  readonly url?: string;
  readonly remark?: string;
}

export type TopicOp = TopicChange['op'];

/** Validates a topic call's input; throws BadRequest naming the field. */
export function parseTopicChange(op: TopicOp, input: TopicInput, rules: BranchUrlRules): { topic: string; change: TopicChange } {
  const topic = input.topic;
  if (topic === '') throw new BadRequest('empty topic');
  const problem = topicNameProblem(topic);
  if (problem !== undefined) throw new BadRequest(`topic: ${problem}`);
  if (op === 'delete') return { topic, change: { op } };
  const url = input.url ?? '';
  if (url === '') throw new BadRequest('empty url');
  if (url.length > B.urlMaxChars) throw new BadRequest(`url: must be at most ${B.urlMaxChars} characters`);
  if (op === 'unsubscribe') return { topic, change: { op, url } };
  // the msg's protocol is not known yet: the URL's own shape says how it will be called
  const urlProblem = branchUrlProblem(url, '', rules);
  if (urlProblem !== undefined) throw new BadRequest(`url: ${urlProblem}`);
  const remark = input.remark ?? '';
  if (remark.length > B.remarkMaxChars) throw new BadRequest(`remark: must be at most ${B.remarkMaxChars} characters`);
  return { topic, change: { op, url, remark } };
}

/** `scanKV?cat=` / `queryKV?cat=`: '' or a short word. */
export function kvCatProblem(cat: string): string | undefined {
  if (cat.length > B.kvCatMaxChars || (cat !== '' && !/^[A-Za-z0-9_.-]+$/.test(cat))) return `must be at most ${B.kvCatMaxChars} letters, digits, '_', '.' or '-'`;
  return undefined;
}

/** `queryKV?key=` / `scanKV?position=`: '' or a topic name (a key is a topic name; a cursor is a key). */
export function kvKeyProblem(key: string): string | undefined {
  return key === '' ? undefined : topicNameProblem(key);
}
