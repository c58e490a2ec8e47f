import type { EngineObserver } from '../engine/engine-observer.js';
import type { Metrics } from './metrics.js';

/** Feeds engine events into dtm's metric families (spec §13). */
export function metricsObserver(metrics: Metrics): EngineObserver {
  return {
    committed: (records, ms) => metrics.onCommit(records, ms),
    branchCalled: (model, branchid, branchtype, result) =>
      metrics.branchProcess.inc({ model, branchid, branchtype, status: result === 'SUCCESS' ? 'ok' : 'fail' }),
    transactionFinished: (model, status, createTime, finishTime) => {
      metrics.transactionProcess.inc({ model, status: status === 'succeed' ? 'ok' : 'fail' });
      metrics.transactionDuration.observe({ model }, Math.max(0, finishTime - createTime) / 1000);
    },
  };
}
