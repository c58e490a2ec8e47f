import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { freePort } from '../support/free-port.js';
import { runGoTest } from '../support/go-test-run.js';
import { TEST_ETCD, uniqueName } from '../drivers/driver-test-kit.js';

/**
 * kratos interop (STYLE L16): the official dtm Go SDK with dtmdriver-kratos selected
 * (test/interop/kratos: client v1.17.3, dtmdriver-kratos v0.0.10, kratos v2.2.1 and its etcd
 * registry) finds dtx in kratos' etcd registry, where dtx registered itself (MicroService.Driver
 * dtm-driver-kratos), and runs msg and saga transactions whose gRPC branches are a kratos service
 * registered in the same registry; the service then moves to another port and the next
 * transactions follow it.
 *
 * It runs in the `drivers` vitest project, whose global setup starts etcd. A missing Go toolchain
 * fails the test.
 */
const GO_DIR = path.resolve(import.meta.dirname, 'kratos');
const GO_TESTS = ['TestKratosDriverFollowsTheBranchService'] as const;
const INSTALL_HINT = 'Go >= 1.22 is required (apt-get install golang-go, or https://go.dev/dl/ and PATH=$PATH:/usr/local/go/bin).';

// the first run downloads kratos, etcd's client and the driver through the Go module proxy
const runGo = (env: Record<string, string>) =>
  runGoTest({ dir: GO_DIR, goTimeout: '4m', killAfterMs: 420_000, env: { ...env }, installHint: INSTALL_HINT });

describe('kratos interop through dtm-driver-kratos', () => {
  let dtx: DtxProcess | undefined;
  afterAll(async () => {
    await dtx?.kill();
  });

  it('msg and saga through dtx found in kratos\' etcd registry, branches follow a moving kratos service', { timeout: 480_000 }, async () => {
    const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
    if (go.error || go.status !== 0) throw new Error(`\`go\` was not found on PATH. ${INSTALL_HINT}`);
    const dtxName = uniqueName('dtmservice');
    const grpcPort = await freePort();
    dtx = await startDtx({
      env: {
        GRPC_PORT: String(grpcPort),
        MICRO_SERVICE_DRIVER: 'dtm-driver-kratos',
        MICRO_SERVICE_TARGET: `discovery://${TEST_ETCD}/${dtxName}`,
        MICRO_SERVICE_END_POINT: `grpc://127.0.0.1:${grpcPort}`,
      },
    });
    const run = await runGo({ DTX_ETCD: TEST_ETCD, DTX_NAME: dtxName, DTX_BUSI_NAME: uniqueName('trans') });
    const report = `go test exited with ${run.code}:\n${run.output}\n--- dtx log tail ---\n${dtx.logs.slice(-60).join('\n')}`;
    expect(run.code, report).toBe(0);
    for (const name of GO_TESTS) expect(run.output, report).toContain(`--- PASS: ${name} `);
    expect(run.output, report).not.toContain('--- SKIP');
  });
});
