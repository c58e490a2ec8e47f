import type { Logger } from 'pino';
import type { LiveTransaction } from './live-transaction.js';

/**
 * The operator's view of the traffic: one info line per finished transaction, with its gid, type,
 * final status, duration from creation, number of branches (distinct branch ids) and, when it
 * rolled back, the reason (cut at 200 characters; `dtx replay` shows it whole).
 */
export function logFinished(logger: Logger, live: LiveTransaction): void {
  const c = live.context;
  const branches = new Set(c.branches.map((b) => b.branchId)).size;
  const reason = c.rollbackReason !== '' ? { reason: c.rollbackReason.slice(0, 200) } : {};
  logger.info({ gid: live.gid, transType: c.transType, status: live.status, durationMs: Math.max(0, c.updateTime - c.createTime), branches, ...reason }, 'transaction finished');
}
