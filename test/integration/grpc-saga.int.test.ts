import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { gidOf, rows, waitStatus } from '../support/dtm-client.js';
import { dtmClient, unary } from '../support/dtm-grpc-client.js';
import { startGrpcBranchServer, type GrpcBranchServer, type RecordedCall } from './invoker/grpc-branch-server.js';

/**
 * A saga submitted over gRPC whose branches are gRPC services (a real grpc-js server): what a dtm
 * gRPC SDK does end to end. Branches get the payload bytes as they were sent and dtm's metadata.
 */
let dtx: DtxProcess;
let branches: GrpcBranchServer;
let client: grpc.Client;
beforeAll(async () => {
  [dtx, branches] = await Promise.all([startDtx(), startGrpcBranchServer()]);
  client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await dtx?.kill();
  await branches?.close();
});

const method = (name: string) => `${branches.target}/test.Branch/${name}`;
/** Protobuf-like payloads: not text, with a NUL and a byte that is not UTF-8. */
const PAYLOADS = [Buffer.from([0x0a, 0x03, 0x00, 0xff, 0x01]), Buffer.from([0x10, 0x2a])];
const callsOf = (gid: string): RecordedCall[] => branches.calls.filter((c) => c.metadata.get('dtm-gid')[0] === gid);
const meta = (c: RecordedCall, key: string) => c.metadata.get(key);

function submit(gid: string, steps: Array<{ action: string; compensate: string }>, headers: Record<string, string> = {}) {
  return unary(client, 'Submit', {
    Gid: gid,
    TransType: 'saga',
    Steps: JSON.stringify(steps),
    BinPayloads: PAYLOADS,
    TransOptions: { BranchHeaders: headers },
  });
}

describe('saga over gRPC with gRPC branches', () => {
  it('normal: both actions are called with the raw payload bytes and dtm-* metadata', async () => {
    const gid = gidOf('grpc-saga');
    const r = await submit(gid, [{ action: method('Ok'), compensate: method('Ok') }, { action: method('Ok'), compensate: method('Ok') }], { 'x-tenant': 'acme' });
    expect(r.code).toBe(grpc.status.OK);
    const q = await waitStatus(dtx.api, gid, 'succeed');
    expect(rows(q)).toEqual(['prepared', 'succeed', 'prepared', 'succeed']);
    const calls = callsOf(gid);
    expect(calls.map((c) => c.path)).toEqual(['/test.Branch/Ok', '/test.Branch/Ok']);
    expect(calls.map((c) => [...c.payload])).toEqual(PAYLOADS.map((p) => [...p]));
    expect(calls.map((c) => meta(c, 'dtm-branch_id')[0])).toEqual(['01', '02']);
    for (const c of calls) {
      expect(meta(c, 'dtm-trans_type')).toEqual(['saga']);
      expect(meta(c, 'dtm-op')).toEqual(['action']);
      expect(meta(c, 'dtm-dtm')).toEqual(['']);
      expect(meta(c, 'x-tenant')).toEqual(['acme']);
    }
  });

  it('rollback: an Aborted action compensates the steps in reverse order with their payloads', async () => {
    const gid = gidOf('grpc-saga-rb');
    const r = await submit(gid, [{ action: method('Ok'), compensate: method('Ok') }, { action: method('Aborted'), compensate: method('Ok') }]);
    expect(r.code).toBe(grpc.status.OK);
    const q = await waitStatus(dtx.api, gid, 'failed');
    expect(rows(q)).toEqual(['succeed', 'succeed', 'succeed', 'failed']);
    expect(q.transaction?.rollback_reason).toContain('boom');
    const calls = callsOf(gid);
    expect(calls.map((c) => [c.path, meta(c, 'dtm-branch_id')[0], meta(c, 'dtm-op')[0]])).toEqual([
      ['/test.Branch/Ok', '01', 'action'],
      ['/test.Branch/Aborted', '02', 'action'],
      ['/test.Branch/Ok', '02', 'compensate'],
      ['/test.Branch/Ok', '01', 'compensate'],
    ]);
    expect([...calls[2]!.payload]).toEqual([...PAYLOADS[1]!]);
    expect([...calls[3]!.payload]).toEqual([...PAYLOADS[0]!]);
  });
});
