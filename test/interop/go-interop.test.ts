import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { runGoTest, type GoRun } from '../support/go-test-run.js';
import { TEST_PG } from '../support/postgres-global-setup.js';

/**
 * Interop tier (STYLE L16): the official dtm Go SDK (github.com/dtm-labs/client v1.17.3, pinned in
 * test/interop/go/go.mod) runs `go test` against the real dtx process over its three protocols:
 * HTTP (dtmcli), gRPC (dtmgrpc, grpc-go branches) and JSON-RPC (dtmcli with Protocol json-rpc,
 * JSON-RPC branches), the workflow package (HTTP and gRPC), plus the SDK's branch barrier and XaLocalTransaction on the real PostgreSQL of
 * scripts/postgres-local.sh (the core project's global setup). A missing Go toolchain fails the run: a skipped interop test is not a passed one.
 */
const GO_DIR = path.resolve(import.meta.dirname, 'go');
const GO_TEST_FILES = readdirSync(GO_DIR).filter((f) => f.endsWith('_test.go')).map((f) => path.join(GO_DIR, f));
const GO_TIMEOUT_MS = 280_000; // the first run downloads the SDK's modules through the Go module proxy
const MIN_GO: readonly [number, number] = [1, 22];

/** Every top-level Go test; each must report `--- PASS` so a skipped or vanished test fails here. */
const GO_TESTS = [
  // dtmcli over HTTP (interop_test.go)
  'TestSagaNormal',
  'TestSagaRollback',
  'TestSagaConcurrentBranchOrder',
  'TestSagaWaitResult',
  'TestMsgDoAndSubmit',
  'TestMsgPrepareQueryBack',
  'TestMustGenGid',
  // tcc and xa over HTTP (tcc_test.go, xa_test.go: an RM registering as XaLocalTransaction does)
  'TestTccNormal',
  'TestTccRollback',
  'TestXaNormal',
  'TestXaRollback',
  // on the PostgreSQL of scripts/postgres-local.sh: the branch barrier behind a saga and a tcc
  // (barrier_test.go), the SDK's XaLocalTransaction (xa_postgres_test.go)
  'TestBarrierSagaPostgres',
  'TestBarrierTccPostgres',
  'TestXaPostgres',
  // topics: subscriptions over HTTP and gRPC, Msg.AddTopic / MsgGrpc.AddTopic fan-out (topic_test.go)
  'TestTopicMsgAddTopic',
  'TestGrpcTopicNormal',
  'TestGrpcMsgAddTopic',
  // dtmgrpc (grpc_interop_test.go, grpc_msg_test.go, grpc_options_test.go)
  'TestGrpcMustGenGid',
  'TestGrpcSagaNormal',
  'TestGrpcSagaRollback',
  'TestGrpcSagaWaitResult',
  'TestGrpcTccNormal',
  'TestGrpcTccRollback',
  'TestGrpcMsgPrepareSubmit',
  'TestGrpcMsgDoAndSubmit',
  'TestGrpcMsgQueryBack',
  'TestGrpcMsgWaitResult',
  'TestGrpcOptionTimeoutToFail',
  'TestGrpcOptionRetryInterval',
  'TestGrpcOptionRequestTimeout',
  'TestGrpcOptionBranchHeaders',
  // the workflow package over HTTP (workflow.InitHTTP, workflow_test.go) and gRPC (workflow.InitGrpc
  // with the SDK's Workflow service on a grpc-go server, workflow_grpc_test.go): the SDK's
  // compensations, and resumption by dtx's callback or by Execute called again
  'TestWorkflowHTTP',
  'TestWorkflowHTTPRollback',
  'TestWorkflowHTTPResume',
  'TestWorkflowHTTPExecuteAgain',
  'TestWorkflowGrpc',
  'TestWorkflowGrpcRollback',
  'TestWorkflowGrpcResume',
  // dtmcli with Protocol json-rpc and JSON-RPC branches (jrpc_test.go)
  'TestJrpcNewGid',
  'TestJrpcSagaNormal',
  'TestJrpcSagaRollback',
  'TestJrpcMsgDoAndSubmit',
  'TestJrpcMsgQueryBack',
] as const;
/** Run in a second pass against a dtx with Auth.Tokens. */
const GO_AUTH_TESTS = ['TestAuthBearerToken'] as const;
const AUTH_TOKEN = 'interop-token-0123456789abcdef';

const INSTALL_HINT =
  `Go >= ${MIN_GO.join('.')} is required for the interop tests (test/interop/go runs the official dtm Go SDK against dtx). ` +
  'Install it with `apt-get install golang-go` (if the distribution version is new enough) or from https://go.dev/dl/ ' +
  '(tar -C /usr/local -xzf go*.linux-amd64.tar.gz && export PATH=$PATH:/usr/local/go/bin), then re-run `npm test`.';

function goVersion(): string {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`\`go\` was not found on PATH (${r.error?.message ?? r.stderr}). ${INSTALL_HINT}`);
  const v = r.stdout.trim();
  const m = /^go(\d+)\.(\d+)/.exec(v);
  const [major, minor] = [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
  if (!m || major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) throw new Error(`found ${v}. ${INSTALL_HINT}`);
  return v;
}

function runGo(dtxServer: string, args: readonly string[], env: Record<string, string> = {}): Promise<GoRun> {
  // GO_TIMEOUT_MS also covers module downloads and builds
  return runGoTest({ dir: GO_DIR, goTimeout: '3m', killAfterMs: GO_TIMEOUT_MS, args, env: { DTX_SERVER: dtxServer, ...env }, installHint: INSTALL_HINT });
}

describe('dtm Go SDK interop (github.com/dtm-labs/client v1.17.3)', () => {
  let dtx: DtxProcess | undefined;
  afterAll(async () => {
    await dtx?.kill();
  });

  it('lists every Go test of test/interop/go', () => {
    const declared = GO_TEST_FILES.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^func (Test\w+)\(t \*testing\.T\)/gm)].map((m) => m[1]));
    expect(declared.sort()).toEqual([...GO_TESTS, ...GO_AUTH_TESTS].sort());
  });

  it('go test passes against a real dtx process', { timeout: 300_000 }, async () => {
    const version = goVersion();
    dtx = await startDtx();
    const grpcTarget = `127.0.0.1:${dtx.grpcPort}`;
    // DTX_PG: the cluster the core project's global setup started (scripts/postgres-local.sh)
    const run = await runGo(dtx.api, ['-skip', 'TestAuth'], { DTX_GRPC: grpcTarget, DTX_PG: TEST_PG });
    const report = `go test (${version}, DTX_SERVER=${dtx.api}, DTX_GRPC=${grpcTarget}, DTX_PG=${TEST_PG}) exited with code ${run.code} signal ${run.signal}:\n${run.output}\n--- dtx log tail ---\n${dtx.logs.slice(-60).join('\n')}`;
    expect(run.signal, report).toBeNull();
    expect(run.code, report).toBe(0);
    for (const name of GO_TESTS) expect(run.output, `${name} did not pass:\n${report}`).toContain(`--- PASS: ${name} `);
    expect(run.output, `a Go test was skipped:\n${report}`).not.toContain('--- SKIP');
  });

  it('with Auth.Tokens, the SDK works once its request hooks send the bearer token', { timeout: 300_000 }, async () => {
    goVersion();
    const secured = await startDtx({ env: { AUTH_TOKENS: AUTH_TOKEN } });
    try {
      const run = await runGo(secured.api, ['-run', 'TestAuth'], { DTX_AUTH_TOKEN: AUTH_TOKEN });
      const report = `go test -run TestAuth exited with code ${run.code}:\n${run.output}\n--- dtx log tail ---\n${secured.logs.slice(-40).join('\n')}`;
      expect(run.code, report).toBe(0);
      for (const name of GO_AUTH_TESTS) expect(run.output, report).toContain(`--- PASS: ${name} `);
      expect(run.output, report).not.toContain('--- SKIP');
    } finally {
      await secured.kill();
    }
  });
});
