import { describe } from 'vitest';
import { barrierRulesSuite } from './support/barrier-rules-suite.js';
import { barrierTransfersSuite } from './support/barrier-transfers-suite.js';
import { openPostgres } from './support/databases.js';

// dtx-client's BranchBarrier on the real PostgreSQL of scripts/postgres-local.sh (dtm's
// dtm_barrier.barrier table): dtm's rules, then 1,000 concurrent transfers with injected faults.
describe('PostgreSQL', () => {
  barrierRulesSuite(() => openPostgres());
  barrierTransfersSuite(() => openPostgres(20));
});
