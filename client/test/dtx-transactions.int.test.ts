import { afterAll, beforeAll } from 'vitest';
import { BusiPair } from './support/busi-pair.js';
import { startDtxCoordinator, type Coordinator } from './support/coordinators.js';
import { msgSuite } from './support/msg-suite.js';
import { sagaSuite } from './support/saga-suite.js';
import { tccSuite } from './support/tcc-suite.js';

// saga, msg and tcc through dtx-client against the real `dtx serve` process, over HTTP and gRPC,
// with real express and grpc-js branch services built on the client's handler helpers.
let coordinator: Coordinator;
let busi: BusiPair;

beforeAll(async () => {
  coordinator = await startDtxCoordinator();
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
