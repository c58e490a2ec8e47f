import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { freePort } from '../support/free-port.js';
import { runGoTest } from '../support/go-test-run.js';
import { TEST_ETCD, uniqueName } from '../drivers/driver-test-kit.js';

/**
 * go-zero interop (STYLE L16): the official dtm Go SDK with dtmdriver-gozero selected
 * (test/interop/gozero, go-zero v1.4.4, dtmdriver-gozero v0.0.7, client v1.17.3) finds dtx in
 * etcd, where dtx registered itself (MicroService.Driver dtm-driver-gozero), and runs msg and
 * saga transactions whose gRPC branches are a go-zero zrpc service found through etcd; the
 * service then moves to another port and the next transactions follow it.
 *
 * It runs in the `drivers` vitest project, whose global setup starts etcd. A missing Go toolchain
 * fails the test.
 */
const GO_DIR = path.resolve(import.meta.dirname, 'gozero');
const GO_TESTS = ['TestGoZeroDriverFollowsTheBranchService'] as const;
const INSTALL_HINT = 'Go >= 1.22 is required (apt-get install golang-go, or https://go.dev/dl/ and PATH=$PATH:/usr/local/go/bin).';

const runGo = (env: Record<string, string>) =>
  runGoTest({ dir: GO_DIR, goTimeout: '4m', killAfterMs: 420_000, env: { GOFLAGS: '-mod=mod', ...env }, installHint: INSTALL_HINT });

describe('go-zero interop through dtm-driver-gozero', () => {
  let dtx: DtxProcess | undefined;
  afterAll(async () => {
    await dtx?.kill();
  });

  it('msg and saga through dtx found in etcd, branches follow a moving go-zero service', { timeout: 480_000 }, async () => {
    const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
    if (go.error || go.status !== 0) throw new Error(`\`go\` was not found on PATH. ${INSTALL_HINT}`);
    const dtxKey = uniqueName('dtmservice');
    const grpcPort = await freePort();
    dtx = await startDtx({
      env: {
        GRPC_PORT: String(grpcPort),
        MICRO_SERVICE_DRIVER: 'dtm-driver-gozero',
        MICRO_SERVICE_TARGET: `etcd://${TEST_ETCD}/${dtxKey}`,
        MICRO_SERVICE_END_POINT: `127.0.0.1:${grpcPort}`,
      },
    });
    const run = await runGo({ DTX_ETCD: TEST_ETCD, DTX_KEY: dtxKey, DTX_BUSI_KEY: uniqueName('trans.rpc') });
    const report = `go test exited with ${run.code}:\n${run.output}\n--- dtx log tail ---\n${dtx.logs.slice(-60).join('\n')}`;
    expect(run.code, report).toBe(0);
    for (const name of GO_TESTS) expect(run.output, report).toContain(`--- PASS: ${name} `);
    expect(run.output, report).not.toContain('--- SKIP');
  });
});
