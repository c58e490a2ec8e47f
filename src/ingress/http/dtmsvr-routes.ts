import { Router, type Request, type Response } from 'express';
import type { Engine } from '../../engine/engine.js';
import type { Command } from '../../engine/command.js';
import { newGid } from '../../engine/gid.js';
import { newCommandId } from '../../engine/command-id.js';
import { BadInput, parseGidBody, parseTransBody, toSpec } from './trans-request.js';
import { sendError, sendReply } from './reply-mapper.js';
import { intParam, strParam } from './query-params.js';

export interface DtmsvrRouteDeps {
  readonly engine: Engine;
  readonly version: string;
  readonly timeoutToFail: number;
  readonly isSupported: (transType: string) => boolean;
}

/** dtm types that a later issue implements: refused with 501 rather than "unknown type". */
const PLANNED_TYPES = new Set(['tcc', 'xa', 'workflow']);
const UNSUPPORTED_ROUTES = ['registerBranch', 'registerXaBranch', 'registerTccBranch', 'prepareWorkflow', 'subscribe', 'unsubscribe', 'scanKV', 'queryKV'];

const commandId = (kind: string) => newCommandId(`http.${kind}`);

/**
 * `/api/dtmsvr/*` (spec §3.2): decode, build a command, await the engine's reply, render dtm's
 * envelope. No business rule lives here.
 */
export function dtmsvrRoutes(deps: DtmsvrRouteDeps): Router {
  const r = Router();
  const { engine } = deps;

  const transCall = (kind: 'prepare' | 'submit') => async (req: Request, res: Response) => {
    const spec = toSpec(parseTransBody(req.body));
    if (!deps.isSupported(spec.transType)) return refuseType(res, spec.transType);
    const cmd: Command = { id: commandId(kind), gid: spec.gid, kind, spec };
    sendReply(res, await engine.dispatch(cmd, kind === 'submit' && spec.options.waitResult));
  };
  r.post('/prepare', transCall('prepare'));
  r.post('/submit', transCall('submit'));
  r.post('/abort', async (req, res) => {
    const b = parseTransBody(req.body);
    sendReply(res, await engine.dispatch({ id: commandId('abort'), gid: b.gid, kind: 'abort', requestType: b.trans_type, reason: b.rollback_reason ?? '' }));
  });
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
    const gid = strParam(req.query, 'gid');
    if (gid === '') throw new BadInput('no gid specified');
    const view = await engine.queryView(gid);
    res.type('application/json').send(view ?? '{"transaction":null,"branches":[]}');
  });
  r.get('/all', async (req, res) => {
    const q = req.query;
    const gid = strParam(q, 'gid');
    const position = strParam(q, 'position');
    const limit = intParam(q, 'limit', 100, 1, 10_000);
    if (gid !== '') {
      const view = await engine.queryView(gid);
      const trans = view === undefined ? 'null' : `[${JSON.stringify((JSON.parse(view) as { transaction: unknown }).transaction)}]`;
      res.type('application/json').send(`{"transactions":${trans},"next_position":${JSON.stringify(position)}}`);
      return;
    }
    const start = intParam(q, 'createTimeStart', -1, 0);
    const end = intParam(q, 'createTimeEnd', -1, 0);
    const page = await engine.list({
      limit,
      ...(position ? { position } : {}),
      ...(strParam(q, 'status') ? { status: strParam(q, 'status') } : {}),
      ...(strParam(q, 'transType') ? { transType: strParam(q, 'transType') } : {}),
      // dtm truncates the millisecond bounds to seconds (spec §3.3.4)
      ...(start >= 0 ? { createTimeStart: Math.floor(start / 1000) * 1000 } : {}),
      ...(end >= 0 ? { createTimeEnd: Math.floor(end / 1000) * 1000 + 999 } : {}),
    });
    const items = page.items.map((s) => JSON.stringify((JSON.parse(s.view) as { transaction: unknown }).transaction));
    res.type('application/json').send(`{"transactions":[${items.join(',')}],"next_position":${JSON.stringify(page.nextPosition)}}`);
  });
  r.get('/resetCronTime', async (req, res) => {
    const timeout = intParam(req.query, 'timeout', 3 * deps.timeoutToFail);
    const limit = intParam(req.query, 'limit', 100, 1, 10_000);
    const out = await engine.resetCronTime(timeout, limit);
    res.json({ has_remaining: out.hasRemaining, succeed_count: out.succeedCount });
  });

  for (const name of UNSUPPORTED_ROUTES) {
    r.all(`/${name}`, (_req, res) => sendError(res, 501, `${name} is not supported by dtx yet (tcc, xa, workflow and topics come in a later release)`, 'DTX_NOT_SUPPORTED'));
  }
  r.delete('/topic/:name', (_req, res) => sendError(res, 501, 'topics are not supported by dtx yet', 'DTX_NOT_SUPPORTED'));
  return r;
}

function refuseType(res: Response, transType: string): void {
  if (PLANNED_TYPES.has(transType)) sendError(res, 501, `trans_type '${transType}' is not supported by dtx yet`, 'DTX_NOT_SUPPORTED');
  else sendError(res, 400, `trans_type: unknow trans type: ${transType}`, 'DTX_BAD_REQUEST');
}

export { BadInput };
