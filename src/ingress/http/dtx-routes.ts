import { Router } from 'express';
import type { TransactionHistory } from '../../audit/transaction-history.js';
import { BadRequest, NotFound } from '../../errors.js';
import { checkedGid } from './trans-request.js';
import { strParam } from './query-params.js';

export interface DtxRouteDeps {
  /** Audit of one transaction (events, timeline, verification), undefined when unknown. */
  readonly history: (gid: string) => Promise<TransactionHistory | undefined>;
}

/** dtx's own routes under `/api/dtx` (not part of dtm's API). */
export function dtxRoutes(deps: DtxRouteDeps): Router {
  const r = Router();
  r.get('/history', async (req, res) => {
    const gid = strParam(req.query, 'gid', 1024);
    if (gid === '') throw new BadRequest('gid is required');
    const h = await deps.history(checkedGid(gid));
    if (h === undefined) throw new NotFound(`no events for gid '${gid}'`);
    res.json(h);
  });
  return r;
}
