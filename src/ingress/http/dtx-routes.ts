import { Router } from 'express';
import type { TransactionHistory } from '../../audit/transaction-history.js';
import { BadInput } from './trans-request.js';
import { sendError } from './reply-mapper.js';
import { strParam } from './query-params.js';

export interface DtxRouteDeps {
  /** Audit of one transaction (events, timeline, verification), undefined when unknown. */
  readonly history: (gid: string) => Promise<TransactionHistory | undefined>;
}

/** dtx's own routes under `/api/dtx` (not part of dtm's API). */
export function dtxRoutes(deps: DtxRouteDeps): Router {
  const r = Router();
  r.get('/history', async (req, res) => {
    const gid = strParam(req.query, 'gid');
    if (gid === '') throw new BadInput('gid is required');
    const h = await deps.history(gid);
    if (h === undefined) return sendError(res, 404, `no events for gid '${gid}'`, 'DTX_TRANS_NOT_FOUND');
    res.json(h);
  });
  return r;
}
