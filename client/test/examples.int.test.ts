import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PG } from '../../test/support/postgres-global-setup.js';
import { startDtxCoordinator, type Coordinator } from './support/coordinators.js';

// client/examples/ as a user runs them (compiled by the root build into client/dist/examples/),
// against the real dtx process: each must finish on its own and print what the README promises.
const run = promisify(execFile);
const DIST = path.resolve(import.meta.dirname, '../dist/examples');
let coordinator: Coordinator & { proc: { grpcPort: number } };

beforeAll(async () => {
  coordinator = await startDtxCoordinator();
});

afterAll(async () => {
  await coordinator?.close();
});

async function example(name: string): Promise<string[]> {
  const env = { ...process.env, DTX_HTTP: coordinator.api, DTX_GRPC: `127.0.0.1:${coordinator.proc.grpcPort}`, DATABASE_URL: `postgres://dtx@${TEST_PG}/dtx_test` };
  const { stdout } = await run(process.execPath, [path.join(DIST, `${name}.js`)], { env, timeout: 50_000 });
  return stdout.trim().split('\n');
}

describe('examples', () => {
  it('saga: one transfer succeeds, one rolls back with compensations', async () => {
    const out = await example('saga');
    expect(out.filter((l) => l.startsWith('saga '))).toEqual([expect.stringMatching(/ succeeded$/), expect.stringMatching(/ rolled back: .*amount too large/)]);
    expect(out.filter((l) => /Compensate/.test(l))).toHaveLength(2);
  });

  it('grpc-saga: both gRPC branches run, then the saga succeeds', async () => {
    const out = await example('grpc-saga');
    expect(out.map((l) => l.split(' ')[0])).toEqual(['TransOut', 'TransIn', 'saga']);
    expect(out[0]).toContain('{"amount":30}');
  });

  it('msg: prepared, submitted, delivered', async () => {
    const out = await example('msg');
    expect(out.at(-1)).toMatch(/^msg .* delivered$/);
    expect(out.some((l) => l.startsWith('TransIn ') && l.includes('{"amount":30}'))).toBe(true);
  });

  it('tcc: confirmed, then aborted and cancelled', async () => {
    const out = await example('tcc');
    expect(out.filter((l) => l.startsWith('tcc '))).toEqual([expect.stringMatching(/ confirmed$/), expect.stringMatching(/ aborted: .*amount too large/), expect.stringMatching(/ cancelled$/)]);
    expect(out.filter((l) => /Confirm /.test(l))).toHaveLength(2);
    expect(out.filter((l) => /Cancel /.test(l))).toHaveLength(2);
  });

  it('workflow: succeeds, then rolls back the branch that ran', async () => {
    const out = await example('workflow');
    expect(out.filter((l) => l.startsWith('workflow '))).toEqual([expect.stringMatching(/ succeeded: done$/), expect.stringMatching(/ rolled back: .*amount too large/)]);
    expect(out.filter((l) => l.startsWith('TransOutRevert '))).toHaveLength(1);
  });

  it('barrier-postgres: the repeated call changes nothing', async () => {
    const out = await example('barrier-postgres');
    expect(out).toEqual(['repeated TransIn answered 200', expect.stringMatching(/^saga .* succeeded; balances 1=70 2=30$/)]);
  });
});
