import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT } from './local-service-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `{http, grpc}` of the running dtm v1.19.0, or `{reason}` why there is none. */
    dtm: { http: string; grpc: string } | { reason: string };
  }
}

const SCRIPT = path.join(ROOT, 'scripts', 'dtm-server.sh');

/**
 * vitest globalSetup of the `client` project: builds real dtm v1.19.0 from the Go module proxy
 * (scripts/dtm-server.sh; cached after the first build, which takes about 10 minutes) and starts it
 * on 127.0.0.1:26789 (gRPC 26790). When that is impossible (no Go, no module proxy, a failed build)
 * the dtm tests are skipped with the reason, which is printed here and in each skipped test.
 * DTX_TEST_DTM=http://host:port/api/dtmsvr with DTX_TEST_DTM_GRPC=host:port use a running dtm instead.
 */
export default function setup(project: TestProject): (() => void) | undefined {
  if (process.env.DTX_TEST_DTM && process.env.DTX_TEST_DTM_GRPC) {
    project.provide('dtm', { http: process.env.DTX_TEST_DTM, grpc: process.env.DTX_TEST_DTM_GRPC });
    return undefined;
  }
  const run = (command: string, timeout: number) => spawnSync('bash', [SCRIPT, command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout });
  const wasRunning = run('status', 10_000).status === 0;
  const started = run('start', 30 * 60_000);
  if (started.error || started.status !== 0) {
    const reason = `real dtm v1.19.0 is not available: scripts/dtm-server.sh start failed (${started.error?.message ?? `exit ${started.status ?? started.signal}`}; see its messages above). The dtm tests are skipped.`;
    process.stderr.write(`\n[client tests] ${reason}\n\n`);
    project.provide('dtm', { reason });
    return undefined;
  }
  const vars = Object.fromEntries(started.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  project.provide('dtm', { http: vars.DTX_TEST_DTM ?? '', grpc: vars.DTX_TEST_DTM_GRPC ?? '' });
  if (wasRunning) return undefined;
  return () => {
    run('stop', 60_000);
  };
}
