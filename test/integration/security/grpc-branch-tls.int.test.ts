import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDtx, type DtxProcess } from '../../support/dtx-process.js';
import { gidOf, post, saga, waitFor, waitStatus } from '../../support/dtm-client.js';
import { startGrpcBranchServer, type GrpcBranchServer } from '../invoker/grpc-branch-server.js';
import { makeTestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

/** Invoker.GrpcTls: gRPC branch calls of the real process over mutual TLS, its files renewed without a restart. */
let branch: GrpcBranchServer;
let renewedBranch: GrpcBranchServer | undefined;
let dir: string;
let withCert: DtxProcess;
let withoutCert: DtxProcess;
beforeAll(async () => {
  const certs = makeTestCerts();
  branch = await startGrpcBranchServer(grpc.ServerCredentials.createSsl(certs.ca, [{ cert_chain: certs.serverCert, private_key: certs.serverKey }], true));
  dir = tempDir('dtx-grpc-tls-');
  const file = (name: string, pem: Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, pem, { mode: 0o600 });
    return p;
  };
  const ca = file('ca.crt', certs.ca);
  [withCert, withoutCert] = await Promise.all([
    startDtx({ env: { INVOKER_GRPC_TLS_CA_FILE: ca, INVOKER_GRPC_TLS_CERT_FILE: file('client.crt', certs.clientCert), INVOKER_GRPC_TLS_KEY_FILE: file('client.key', certs.clientKey) } }),
    startDtx({ env: { INVOKER_GRPC_TLS_CA_FILE: ca } }),
  ]);
});
afterAll(async () => {
  await Promise.all([withCert?.kill(), withoutCert?.kill(), branch?.close(), renewedBranch?.close()]);
});

describe('gRPC branch calls over mutual TLS', () => {
  it('a saga with gRPC branches succeeds when dtx presents its client certificate', async () => {
    const gid = gidOf('mtls');
    const r = await post(withCert.api, 'submit', saga(gid, [{ action: `${branch.target}/test.Branch/Ok`, compensate: '' }], { protocol: 'grpc' }));
    expect(r.status).toBe(200);
    await waitStatus(withCert.api, gid, 'succeed');
    const call = branch.calls.find((c) => c.metadata.get('dtm-gid')[0] === gid);
    expect(call?.payload.toString()).toBe('{"amount":30}');
  });

  it('without a client certificate the server refuses the handshake and the call is retried, never succeeding', async () => {
    const gid = gidOf('nocert');
    expect((await post(withoutCert.api, 'submit', saga(gid, [{ action: `${branch.target}/test.Branch/Ok`, compensate: '' }], { protocol: 'grpc', retry_interval: 1 }))).status).toBe(200);
    const h = await waitFor(
      async () => (await (await fetch(`http://127.0.0.1:${withoutCert.port}/api/dtx/history?gid=${gid}`)).json()) as { timeline: Array<{ event: string }> },
      (v) => v.timeline.some((e) => e.event === 'BranchErrored'),
      20_000,
      'a BranchErrored event',
    );
    expect(h.timeline.some((e) => e.event === 'BranchSucceeded')).toBe(false);
    expect(branch.calls.some((c) => c.metadata.get('dtm-gid')[0] === gid)).toBe(false);
  });

  it('a renewed CA and client certificate, replaced in place, are used after SIGHUP: calls reach a branch that trusts only them', async () => {
    const renewed = makeTestCerts(); // another CA: the first client certificate does not pass there
    renewedBranch = await startGrpcBranchServer(grpc.ServerCredentials.createSsl(renewed.ca, [{ cert_chain: renewed.serverCert, private_key: renewed.serverKey }], true));
    for (const [name, pem] of [['client.key', renewed.clientKey], ['client.crt', renewed.clientCert], ['ca.crt', renewed.ca]] as const) {
      writeFileSync(path.join(dir, `${name}.new`), pem, { mode: 0o600 });
      renameSync(path.join(dir, `${name}.new`), path.join(dir, name)); // as a secret mount swaps files
    }
    withCert.proc.kill('SIGHUP');
    const renewedPrint = new X509Certificate(renewed.clientCert).fingerprint256;
    await waitFor(async () => withCert.logs.some((l) => l.includes('TLS certificate reloaded') && l.includes(renewedPrint)), Boolean, 30_000, 'the reload in the log');
    const gid = gidOf('renewed');
    expect((await post(withCert.api, 'submit', saga(gid, [{ action: `${renewedBranch.target}/test.Branch/Ok`, compensate: '' }], { protocol: 'grpc', retry_interval: 1 }))).status).toBe(200);
    await waitStatus(withCert.api, gid, 'succeed');
    const call = renewedBranch.calls.find((c) => c.metadata.get('dtm-gid')[0] === gid);
    expect(call?.peerCertificate).toBe(renewedPrint);
    const metrics = await (await fetch(`http://127.0.0.1:${withCert.port}/api/metrics`)).text();
    const expiry = Date.parse(new X509Certificate(renewed.clientCert).validTo) / 1000;
    expect(metrics).toContain(`dtx_tls_certificate_expiry_timestamp_seconds{setting="Invoker.GrpcTls"} ${expiry}`);
  });
});
