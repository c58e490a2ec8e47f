import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { gidOf, post, saga, waitFor } from '../support/dtm-client.js';

/**
 * HttpMaxBodyBytesInFlight on the real process: bodies sent slowly hold at most the budget; a
 * request finding it spent is 503 DTX_OVERLOADED before its body is read, and once the slow
 * senders go, requests are served again. Requests without a body are never refused.
 */
const LIMIT = 1_048_576;
let dtx: DtxProcess;
beforeAll(async () => {
  dtx = await startDtx({ env: { HTTP_MAX_BODY_BYTES: String(LIMIT), HTTP_MAX_BODY_BYTES_IN_FLIGHT: String(LIMIT) } });
});
afterAll(async () => {
  await dtx?.kill();
});

/** A connection that declares a body of `LIMIT` bytes and sends only its first bytes. */
function slowSender(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`POST /api/dtmsvr/submit HTTP/1.1\r\nHost: dtx\r\nContent-Length: ${LIMIT}\r\n\r\n{"gid":`, () => resolve(socket));
    });
    socket.on('error', reject);
  });
}

describe('HttpMaxBodyBytesInFlight', () => {
  it('refuses bodies past the budget with 503 DTX_OVERLOADED while a slow body holds it, and serves again once it is gone', async () => {
    const slow = await slowSender(dtx.port);
    const refused = await waitFor(
      async () => post(dtx.api, 'submit', saga(gidOf('bb'), [{ action: '', compensate: '' }])),
      (r) => r.status !== 200,
      10_000,
      'the slow body to hold the budget',
    );
    expect([refused.status, refused.body.code]).toEqual([503, 'DTX_OVERLOADED']);
    expect(refused.body.message).toBe(`request bodies and gRPC messages being read hold HttpMaxBodyBytesInFlight (${LIMIT} bytes); retry later`);
    expect((await fetch(`http://127.0.0.1:${dtx.port}/api/ping`)).status).toBe(200);
    slow.destroy();
    const served = await waitFor(async () => post(dtx.api, 'submit', saga(gidOf('bb-after'), [{ action: '', compensate: '' }])), (r) => r.status === 200, 10_000, 'the budget to be released');
    expect(served.body.dtm_result).toBe('SUCCESS');
    expect(dtx.proc.exitCode).toBeNull();
  });
});
