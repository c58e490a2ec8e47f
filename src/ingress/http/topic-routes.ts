import { Router } from 'express';
import { INPUT_BOUNDS } from '../schema/input-bounds.js';
import { queryKV, runTopicCall, scanKV, type TopicCallDeps } from '../topic-calls.js';
import { sendReply } from './reply-mapper.js';
import { intParam, strParam } from './query-params.js';

/**
 * dtm's topic and KV routes under `/api/dtmsvr` (spec §3.2, §9): `GET subscribe?topic=&url=&remark=`,
 * `GET unsubscribe?topic=&url=`, `DELETE topic/:topicName`, `GET scanKV?cat=&position=&limit=`,
 * `GET queryKV?cat=&key=`. Over-long parameters are refused by the bounds (docs/limits.md).
 */
export function topicRoutes(deps: TopicCallDeps): Router {
  const r = Router();
  const longest = Math.max(INPUT_BOUNDS.urlMaxChars, INPUT_BOUNDS.remarkMaxChars) + 1;
  r.get('/subscribe', async (req, res) => {
    const q = req.query;
    const input = { topic: strParam(q, 'topic', longest), url: strParam(q, 'url', longest), remark: strParam(q, 'remark', longest) };
    sendReply(res, await runTopicCall(deps, 'subscribe', input, 'http'));
  });
  r.get('/unsubscribe', async (req, res) => {
    const input = { topic: strParam(req.query, 'topic', longest), url: strParam(req.query, 'url', longest) };
    sendReply(res, await runTopicCall(deps, 'unsubscribe', input, 'http'));
  });
  r.delete('/topic/:topicName', async (req, res) => {
    sendReply(res, await runTopicCall(deps, 'delete', { topic: req.params.topicName ?? '' }, 'http'));
  });
  r.get('/scanKV', async (req, res) => {
    const q = req.query;
    const limit = intParam(q, 'limit', 100, 1, INPUT_BOUNDS.listLimitMax);
    res.json(await scanKV(deps, strParam(q, 'cat', longest), strParam(q, 'position', longest), limit));
  });
  r.get('/queryKV', async (req, res) => {
    res.json(await queryKV(deps, strParam(req.query, 'cat', longest), strParam(req.query, 'key', longest)));
  });
  return r;
}
