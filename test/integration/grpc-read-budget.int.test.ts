import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtmProto } from '../../src/protocol/dtm-proto.js';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { gidOf, post, saga, waitFor } from '../support/dtm-client.js';
import { dtmClient, dtmRequest, unary } from '../support/dtm-grpc-client.js';

/**
 * HttpMaxBodyBytesInFlight over gRPC, on the real process: a gRPC message being read reserves
 * HttpMaxBodyBytes of the budget HTTP bodies share; calls finding it spent wait their turn with
 * their stream paused (not refused), within GrpcMessageTimeout; a read holding the budget is cut
 * after GrpcMessageTimeout on any method. Before the budget, 300 calls each sending 999 KB of a
 * 1 MB message on one connection held 286 MiB; with it, at most the budget and a stream window each.
 */
const LIMIT = 1_048_576;
const env = { HTTP_MAX_BODY_BYTES: String(LIMIT), HTTP_MAX_BODY_BYTES_IN_FLIGHT: String(LIMIT) };

/** `dtx_read_budget_bytes` and `dtx_read_budget_waiting_calls` from /api/metrics. */
async function budgetOf(dtx: DtxProcess): Promise<{ held: number; waiting: number }> {
  const text = await (await fetch(`http://127.0.0.1:${dtx.port}/api/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { held: gauge('dtx_read_budget_bytes'), waiting: gauge('dtx_read_budget_waiting_calls') };
}
const awaitBudget = (dtx: DtxProcess, want: { held: number; waiting: number }, what: string) =>
  waitFor(() => budgetOf(dtx), (b) => b.held === want.held && b.waiting === want.waiting, 20_000, what);

/** A call of `path` that declares a message of `declared` bytes and sends only its first 1,000. */
function slowMessage(session: http2.ClientHttp2Session, path: string, declared = 500_000): http2.ClientHttp2Stream {
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => undefined);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(declared, 1);
  stream.write(Buffer.concat([prefix, Buffer.alloc(1000, 0x0a)]));
  return stream;
}

/** The grpc-status a raw stream ends with (trailers, or trailers-only response headers). */
function statusOf(stream: http2.ClientHttp2Stream): Promise<{ status: string; message: string }> {
  return new Promise((resolve) => {
    const done = (h: http2.IncomingHttpHeaders) => h['grpc-status'] !== undefined && resolve({ status: String(h['grpc-status']), message: decodeURIComponent(String(h['grpc-message'] ?? '')) });
    stream.on('response', done);
    stream.on('trailers', done);
  });
}

const submitSaga = (dtx: DtxProcess, prefix: string) => post(dtx.api, 'submit', saga(gidOf(prefix), [{ action: '', compensate: '' }]));

describe('a gRPC message being read holds HttpMaxBodyBytesInFlight', () => {
  let dtx: DtxProcess;
  let client: grpc.Client;
  beforeAll(async () => {
    dtx = await startDtx({ env });
    client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await dtx?.kill();
  });

  it('HTTP bodies get 503 meanwhile; gRPC calls wait their turn and are served once it goes', async () => {
    const session = http2.connect(`http://127.0.0.1:${dtx.grpcPort}`);
    session.on('error', () => undefined);
    let waiting: Promise<{ value?: { Gid: string } }> | undefined;
    try {
      slowMessage(session, '/dtmgimp.Dtm/Submit');
      await awaitBudget(dtx, { held: LIMIT, waiting: 0 }, 'the slow message to hold the budget');
      const refused = await submitSaga(dtx, 'rb-http');
      expect([refused.status, refused.body.code]).toEqual([503, 'DTX_OVERLOADED']);
      expect(refused.body.message).toBe(`request bodies and gRPC messages being read hold HttpMaxBodyBytesInFlight (${LIMIT} bytes); retry later`);
      waiting = unary<{ Gid: string }>(client, 'NewGid', {}, new grpc.Metadata(), 60_000);
      await awaitBudget(dtx, { held: LIMIT, waiting: 1 }, 'NewGid to wait for the budget');
    } finally {
      session.destroy();
    }
    expect((await waiting)?.value?.Gid).toHaveLength(22); // served once the slow call is gone
    await awaitBudget(dtx, { held: 0, waiting: 0 }, 'everything released');
    expect((await submitSaga(dtx, 'rb-after')).body.dtm_result).toBe('SUCCESS');
  });

  it('200 slow calls on one connection: one reads, the others wait with their streams paused; all are released when it closes', async () => {
    const session = http2.connect(`http://127.0.0.1:${dtx.grpcPort}`);
    session.on('error', () => undefined);
    try {
      for (let i = 0; i < 200; i++) slowMessage(session, '/dtmgimp.Dtm/Submit', 1_000_000);
      await awaitBudget(dtx, { held: LIMIT, waiting: 199 }, 'one call reading, 199 waiting');
      expect((await fetch(`http://127.0.0.1:${dtx.port}/api/ping`)).status).toBe(200);
    } finally {
      session.destroy();
    }
    await awaitBudget(dtx, { held: 0, waiting: 0 }, 'everything released');
    expect((await unary<{ Gid: string }>(client, 'NewGid', {})).value?.Gid).toHaveLength(22);
    expect(dtx.proc.exitCode).toBeNull();
  });
});

describe('GrpcMessageTimeout (2 s here) bounds the wait and every read holding the budget', () => {
  let dtx: DtxProcess;
  let client: grpc.Client;
  beforeAll(async () => {
    dtx = await startDtx({ env: { ...env, GRPC_MESSAGE_TIMEOUT: '2' } });
    client = dtmClient(`127.0.0.1:${dtx.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await dtx?.kill();
  });

  it('a Submit waiting behind a slow HTTP body ends DEADLINE_EXCEEDED and leaves the queue', async () => {
    const slow = await new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(dtx.port, '127.0.0.1', () => {
        socket.write(`POST /api/dtmsvr/submit HTTP/1.1\r\nHost: dtx\r\nContent-Length: ${LIMIT}\r\n\r\n{"gid":`, () => resolve(socket));
      });
      socket.on('error', reject);
    });
    try {
      await awaitBudget(dtx, { held: LIMIT, waiting: 0 }, 'the slow body to hold the budget');
      const r = await unary(client, 'Submit', dtmRequest(gidOf('rb-wait'), 'saga', [{ action: '', compensate: '' }], ['{}']), new grpc.Metadata(), 60_000);
      expect([r.code, r.details]).toEqual([grpc.status.DEADLINE_EXCEEDED, 'the request message did not arrive within 2 s']);
      await awaitBudget(dtx, { held: LIMIT, waiting: 0 }, 'the timed-out call to leave the queue');
    } finally {
      slow.destroy();
    }
    await awaitBudget(dtx, { held: 0, waiting: 0 }, 'the slow body to release the budget');
  });

  it('a reflection stream whose message never completes is cut, and the budget it held released', async () => {
    const session = http2.connect(`http://127.0.0.1:${dtx.grpcPort}`);
    session.on('error', () => undefined);
    try {
      const stream = slowMessage(session, '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo');
      expect(await statusOf(stream)).toEqual({ status: String(grpc.status.DEADLINE_EXCEEDED), message: 'the request message did not arrive within 2 s' });
      await awaitBudget(dtx, { held: 0, waiting: 0 }, 'the budget to be released');
    } finally {
      session.destroy();
    }
  });

  it('a unary call that sends its message but never ends its side is cut, and the budget released', async () => {
    const session = http2.connect(`http://127.0.0.1:${dtx.grpcPort}`);
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/dtmgimp.Dtm/Submit', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      const message = dtmProto().messages.DtmRequest.encode(dtmRequest(gidOf('rb-open'), 'saga', [{ action: '', compensate: '' }], ['{}']));
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(message.length, 1);
      stream.write(Buffer.concat([prefix, message])); // no end(): the half-close never comes
      expect(await statusOf(stream)).toEqual({ status: String(grpc.status.DEADLINE_EXCEEDED), message: 'the request message did not arrive within 2 s' });
      await awaitBudget(dtx, { held: 0, waiting: 0 }, 'the budget to be released');
    } finally {
      session.destroy();
    }
    expect(dtx.proc.exitCode).toBeNull();
  });
});
