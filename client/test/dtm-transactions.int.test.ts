import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { BusiPair } from './support/busi-pair.js';
import { dtmCoordinator, type Coordinator } from './support/coordinators.js';
import { msgSuite } from './support/msg-suite.js';
import { sagaSuite } from './support/saga-suite.js';
import { tccSuite } from './support/tcc-suite.js';

// The same saga, msg and tcc tests against real dtm v1.19.0 (built from the Go module proxy by
// scripts/dtm-server.sh in dtm-global-setup.ts): the client must work with either server. Where
// dtm cannot be built here, every test below is skipped with the reason (never counted as passed).
const dtm = inject('dtm');
const unavailable = 'reason' in dtm ? dtm.reason : undefined;

describe('real dtm v1.19.0', () => {
  it('is available', (ctx) => {
    if (unavailable) ctx.skip(unavailable);
  });
});

describe.skipIf(unavailable !== undefined)('dtx-client against dtm v1.19.0', () => {
  let coordinator: Coordinator;
  let busi: BusiPair;

  beforeAll(async () => {
    if ('reason' in dtm) return;
    coordinator = dtmCoordinator(dtm);
    busi = await BusiPair.start();
  });

  afterAll(async () => {
    await busi?.close();
    await coordinator?.close();
  });

  const env = () => ({ coordinator, busi });
  sagaSuite(env);
  msgSuite(env);
  tccSuite(env);
});
