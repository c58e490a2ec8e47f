import { Router, type Request, type Response } from 'express';
import { newGid } from '../../engine/gid.js';
import { newCommandId } from '../../engine/command-id.js';
import { BadRequest } from '../../errors.js';
import { INPUT_BOUNDS } from '../schema/input-bounds.js';
import { runPrepareWorkflow, runRegisterBranch, runTransCall, type TransCall, type TransCallDeps } from '../trans-commands.js';
import { progressBody } from '../workflow-progress.js';
import { checkedGid, httpBranchInput, httpTransInput, parseGidBody } from './trans-request.js';
import { sendReply } from './reply-mapper.js';
import { intParam, positionParam, strParam, wordParam } from './query-params.js';
import { queryKV, runTopicCall, scanKV, type TopicCallDeps } from '../topic-calls.js';
import { dtmViewText } from '../../log/packed-view.js';

export interface DtmsvrRouteDeps extends TransCallDeps, Omit<TopicCallDeps, 'engine'> {
  readonly version: string;
  readonly timeoutToFail: number;
}

const commandId = (kind: string) => newCommandId(`http.${kind}`);

/**
 * `/api/dtmsvr/*` (spec §3.2): decode, build a command, await the engine's reply, render dtm's
 * envelope. No business rule lives here.
 */
export function dtmsvrRoutes(deps: DtmsvrRouteDeps): Router {
  const r = Router();
  const { engine } = deps;

  const transCall = (call: TransCall) => async (req: Request, res: Response) => {
    sendReply(res, await runTransCall(deps, call, httpTransInput(req.body), 'http'));
  };
  r.post('/prepare', transCall('prepare'));
  r.post('/submit', transCall('submit'));
  r.post('/abort', transCall('abort'));
  // `{"transaction":{...},"progresses":[...]}` on success, dtm's envelope otherwise (spec §3.2, §5.8)
  r.post('/prepareWorkflow', async (req, res) => {
    const reply = await runPrepareWorkflow(deps, httpTransInput(req.body), 'http');
    if (reply.ok) res.status(200).json(progressBody(reply));
    else sendReply(res, reply);
  });
  // registerTccBranch / registerXaBranch: dtm's older aliases, the same call
  for (const name of ['registerBranch', 'registerTccBranch', 'registerXaBranch']) {
    r.post(`/${name}`, async (req, res) => {
      sendReply(res, await runRegisterBranch(deps, httpBranchInput(req.body), 'http'));
    });
  }
  r.post('/forceStop', async (req, res) => {
    const gid = parseGidBody(req.body);
    sendReply(res, await engine.dispatch({ id: commandId('forceStop'), gid, kind: 'forceStop' }));
  });
  r.post('/resetNextCronTime', async (req, res) => {
    const gid = parseGidBody(req.body);
    sendReply(res, await engine.dispatch({ id: commandId('reset'), gid, kind: 'resetNextCronTime' }));
  });

  r.get('/newGid', (_req, res) => {
    res.json({ gid: newGid(), dtm_result: 'SUCCESS' });
  });
  r.get('/version', (_req, res) => {
    res.json({ version: deps.version });
  });
  r.get('/query', async (req, res) => {
    const gid = strParam(req.query, 'gid', 1024);
    if (gid === '') throw new BadRequest('no gid specified');
    const view = await engine.queryView(checkedGid(gid));
    res.type('application/json').send(view ?? '{"transaction":null,"branches":[]}');
  });
  r.get('/all', async (req, res) => {
    const q = req.query;
    const gid = strParam(q, 'gid', 1024);
    const position = positionParam(q);
    const limit = intParam(q, 'limit', 100, 1, INPUT_BOUNDS.listLimitMax);
    if (gid !== '') {
      const view = await engine.queryView(checkedGid(gid));
      const trans = view === undefined ? 'null' : `[${JSON.stringify((JSON.parse(view) as { transaction: unknown }).transaction)}]`;
      res.type('application/json').send(`{"transactions":${trans},"next_position":${JSON.stringify(position)}}`);
      return;
    }
    const start = intParam(q, 'createTimeStart', -1, 0, 8.64e15);
    const end = intParam(q, 'createTimeEnd', -1, 0, 8.64e15);
    const status = wordParam(q, 'status');
    const transType = wordParam(q, 'transType');
    const page = await engine.list({
      limit,
      ...(position ? { position } : {}),
      ...(status ? { status } : {}),
      ...(transType ? { transType } : {}),
      // dtm truncates the millisecond bounds to seconds (spec §3.3.4)
      ...(start >= 0 ? { createTimeStart: Math.floor(start / 1000) * 1000 } : {}),
      ...(end >= 0 ? { createTimeEnd: Math.floor(end / 1000) * 1000 + 999 } : {}),
    });
    const items = page.items.map((s) => JSON.stringify((JSON.parse(dtmViewText(s.view)) as { transaction: unknown }).transaction));
    res.type('application/json').send(`{"transactions":[${items.join(',')}],"next_position":${JSON.stringify(page.nextPosition)}}`);
  });
  r.get('/resetCronTime', async (req, res) => {
    const timeout = intParam(req.query, 'timeout', 3 * deps.timeoutToFail, 0, INPUT_BOUNDS.resetTimeoutMaxSeconds);
    const limit = intParam(req.query, 'limit', 100, 1, INPUT_BOUNDS.listLimitMax);
    const out = await engine.resetCronTime(timeout, limit);
    res.json({ has_remaining: out.hasRemaining, succeed_count: out.succeedCount });
  });

  topicRoutes(r, deps);
  return r;
}

/**
 * dtm's topic and KV routes (spec §3.2, §9, docs/topics.md): `GET subscribe?topic=&url=&remark=`,
 * `GET unsubscribe?topic=&url=`, `DELETE topic/:topicName`, `GET scanKV?cat=&position=&limit=`,
 * `GET queryKV?cat=&key=`. Parameters are read up to the longest bound; the shared topic schema
 * names the field that is too long or malformed.
 */
function topicRoutes(r: Router, deps: TopicCallDeps): void {
  const longest = Math.max(INPUT_BOUNDS.urlMaxChars, INPUT_BOUNDS.remarkMaxChars) + 1;
  const param = (q: Record<string, unknown>, key: string) => strParam(q, key, longest);
  r.get('/subscribe', async (req, res) => {
    const input = { topic: param(req.query, 'topic'), url: param(req.query, 'url'), remark: param(req.query, 'remark') };
    sendReply(res, await runTopicCall(deps, 'subscribe', input, 'http'));
  });
  r.get('/unsubscribe', async (req, res) => {
    sendReply(res, await runTopicCall(deps, 'unsubscribe', { topic: param(req.query, 'topic'), url: param(req.query, 'url') }, 'http'));
  });
  r.delete('/topic/:topicName', async (req, res) => {
    sendReply(res, await runTopicCall(deps, 'delete', { topic: req.params.topicName ?? '' }, 'http'));
  });
  r.get('/scanKV', async (req, res) => {
    const limit = intParam(req.query, 'limit', 100, 1, INPUT_BOUNDS.listLimitMax);
    res.json(await scanKV(deps, param(req.query, 'cat'), param(req.query, 'position'), limit));
  });
  r.get('/queryKV', async (req, res) => {
    res.json(await queryKV(deps, param(req.query, 'cat'), param(req.query, 'key')));
  });
}
