import { Router, type Request, type Response } from 'express';
import { newGid } from '../../engine/gid.js';
import { newCommandId } from '../../engine/command-id.js';
import { BadRequest, NotSupported } from '../../errors.js';
import { INPUT_BOUNDS } from '../schema/input-bounds.js';
import { runTransCall, type TransCall, type TransCallDeps } from '../trans-commands.js';
import { checkedGid, httpTransInput, parseGidBody } from './trans-request.js';
import { sendReply } from './reply-mapper.js';
import { intParam, positionParam, strParam, wordParam } from './query-params.js';
import type { TopicCallDeps } from '../topic-calls.js';
import { topicRoutes } from './topic-routes.js';

export interface DtmsvrRouteDeps extends TransCallDeps, Omit<TopicCallDeps, 'engine'> {
  readonly version: string;
  readonly timeoutToFail: number;
}

const UNSUPPORTED_ROUTES = ['registerBranch', 'registerXaBranch', 'registerTccBranch', 'prepareWorkflow'];

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
    const items = page.items.map((s) => JSON.stringify((JSON.parse(s.view) as { transaction: unknown }).transaction));
    res.type('application/json').send(`{"transactions":[${items.join(',')}],"next_position":${JSON.stringify(page.nextPosition)}}`);
  });
  r.get('/resetCronTime', async (req, res) => {
    const timeout = intParam(req.query, 'timeout', 3 * deps.timeoutToFail, 0, INPUT_BOUNDS.resetTimeoutMaxSeconds);
    const limit = intParam(req.query, 'limit', 100, 1, INPUT_BOUNDS.listLimitMax);
    const out = await engine.resetCronTime(timeout, limit);
    res.json({ has_remaining: out.hasRemaining, succeed_count: out.succeedCount });
  });

  r.use(topicRoutes(deps));

  for (const name of UNSUPPORTED_ROUTES) {
    r.all(`/${name}`, () => {
      throw new NotSupported(`${name} is not supported by dtx yet (tcc, xa and workflow come in a later release)`);
    });
  }
  return r;
}
