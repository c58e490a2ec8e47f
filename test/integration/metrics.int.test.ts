import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { gidOf, post, saga } from '../support/dtm-client.js';

/**
 * /api/metrics on the embedded log: the `api` label is bounded whatever paths and gRPC methods
 * clients try, dtm_server_info is there, and the Kafka families are not.
 */
let dtx: DtxProcess;
beforeAll(async () => {
  dtx = await startDtx();
});
afterAll(async () => {
  await dtx?.kill();
});

const word = () => randomBytes(6).toString('hex');

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${dtx.port}/api/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** `api` label values of `dtm_server_process_total` for one request type, with their counts. */
function apiCounts(text: string, type: 'http' | 'grpc'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^dtm_server_process_total\\{type="${type}",api="([^"]*)",status="[a-z]+"\\} (\\d+)$`, 'gm'))) {
    counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return counts;
}

function unknownGrpcCall(target: string, method: string): Promise<grpc.status> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const id = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, id, id, Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + 15_000 }, (err) => {
      client.close();
      resolve(err ? err.code : grpc.status.OK);
    });
  });
}

describe('metrics', () => {
  it('200 random unknown paths add no api label values: they all count as unknown', async () => {
    expect((await post(dtx.api, 'submit', saga(gidOf('m'), [{ action: '', compensate: '' }], { wait_result: true }))).status).toBe(200);
    const paths = Array.from({ length: 200 }, (_, i) => {
      const w = word();
      return [`/${w}`, `/api/${w}`, `/api/dtmsvr/${w}`, `/api/dtmsvr/query/${w}`, `/api/dtx/${w}`, `/${w}/${w}.php?x=${w}`][i % 6]!;
    });
    for (let i = 0; i < paths.length; i += 20) {
      const answers = await Promise.all(paths.slice(i, i + 20).map((p) => fetch(`http://127.0.0.1:${dtx.port}${p}`, { method: i % 40 === 0 ? 'POST' : 'GET' })));
      for (const a of answers) {
        expect(a.status).toBeGreaterThanOrEqual(400);
        await a.body?.cancel();
      }
    }
    const http = apiCounts(await scrape(), 'http');
    expect(http.get('unknown')).toBeGreaterThanOrEqual(200);
    expect(http.get('submit')).toBeGreaterThanOrEqual(1);
    // submit, the scrapes, and one shared value for every unknown path: nothing per path
    expect([...http.keys()].sort()).toEqual(['metrics', 'submit', 'unknown'].filter((k) => http.has(k)));
    expect(http.size).toBeGreaterThanOrEqual(2);
  });

  it('unknown gRPC methods and services count as unknown too', async () => {
    const target = `127.0.0.1:${dtx.grpcPort}`;
    const methods = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? `/dtmgimp.Dtm/${word()}` : `/${word()}.Service/${word()}`));
    const codes = await Promise.all(methods.map((m) => unknownGrpcCall(target, m)));
    expect(codes.every((c) => c === grpc.status.UNIMPLEMENTED)).toBe(true);
    const dtmNewGid = await unknownGrpcCall(target, '/dtmgimp.Dtm/NewGid');
    expect(dtmNewGid).toBe(grpc.status.OK);
    const grpcLabels = apiCounts(await scrape(), 'grpc');
    expect(grpcLabels.get('newgid')).toBe(1);
    // grpc-js answers methods it does not serve before interceptors run, or through them: never a label per name
    expect([...grpcLabels.keys()].filter((k) => k !== 'newgid' && k !== 'unknown')).toEqual([]);
  });

  it('exports dtm_server_info and no Kafka families on the embedded log', async () => {
    const text = await scrape();
    expect(text).toMatch(/^dtm_server_info\{version="v\d+\.\d+\.\d+-dtx",grpc_version="\d+\.\d+\.\d+"\} 1$/m);
    expect(text).toMatch(/^dtx_live_transactions \d+$/m);
    expect(text).not.toMatch(/dtx_kafka_|dtx_partition/);
  });
});
