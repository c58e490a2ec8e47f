import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { BusiPair } from './support/busi-pair.js';
import { dtmCoordinator, startDtxCoordinator, type Coordinator } from './support/coordinators.js';
import { WorkflowApps } from './support/workflow-apps.js';
import { workflowSuite } from './support/workflow-suite.js';

// dtx-client's workflow (register, execute, the resume callback over HTTP and gRPC) against the
// real dtx process and against real dtm v1.19.0 (skipped with the printed reason only where dtm
// cannot be built here: never counted as passed).
const dtm = inject('dtm');
const dtmUnavailable = 'reason' in dtm ? dtm.reason : undefined;

describe.skipIf(dtmUnavailable !== undefined)('workflow against dtm v1.19.0', () => {
  let coordinator: Coordinator;
  let busi: BusiPair;
  let apps: WorkflowApps;
  beforeAll(async () => {
    if ('reason' in dtm) return;
    coordinator = dtmCoordinator(dtm);
    busi = await BusiPair.start();
    apps = await WorkflowApps.start(coordinator);
  });
  afterAll(async () => {
    await apps?.close();
    await busi?.close();
    await coordinator?.close();
  });
  workflowSuite(() => ({ coordinator, busi, apps }));
});

describe('workflow against dtm v1.19.0: availability', () => {
  it('dtm is available', (ctx) => {
    if (dtmUnavailable) ctx.skip(dtmUnavailable);
  });
});

describe('workflow against dtx', () => {
  let coordinator: Coordinator;
  let busi: BusiPair;
  let apps: WorkflowApps;
  beforeAll(async () => {
    coordinator = await startDtxCoordinator();
    busi = await BusiPair.start();
    apps = await WorkflowApps.start(coordinator);
  });
  afterAll(async () => {
    await apps?.close();
    await busi?.close();
    await coordinator?.close();
  });
  workflowSuite(() => ({ coordinator, busi, apps }));
});
