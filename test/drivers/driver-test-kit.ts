import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { TEST_ETCD_PORT } from '../support/etcd-global-setup.js';

/** Shared pieces of the driver tests: the test etcd, unique names, a tiny gRPC server and client. */

/** `host:port` of the etcd the tests use (scripts/etcd-local.sh, or DTX_TEST_ETCD_ENDPOINTS). */
export const TEST_ETCD: string = process.env.DTX_TEST_ETCD_ENDPOINTS !== undefined && process.env.DTX_TEST_ETCD_ENDPOINTS !== ''
  ? process.env.DTX_TEST_ETCD_ENDPOINTS
  : `127.0.0.1:${TEST_ETCD_PORT}`;

export function testEtcd(): Etcd3 {
  return new Etcd3({ hosts: `http://${TEST_ETCD}`, dialTimeout: 5_000 });
}

/** A name no other test run uses (keys, services). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

const identity = (b: Buffer): Buffer => b;
export const WHO_METHOD = '/dtxtest.Who/Who';

export interface WhoServer {
  readonly address: string;
  readonly label: string;
  close(): Promise<void>;
}

/** A gRPC server on a random loopback port whose one method answers with `label`. */
export async function startWhoServer(label: string): Promise<WhoServer> {
  const server = new grpc.Server();
  server.addService(
    { Who: { path: WHO_METHOD, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(label)) },
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    address: `127.0.0.1:${port}`,
    label,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A client for `target` with the round-robin service config dtm (and dtx's invoker) use. */
export function whoClient(target: string): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 1000,
  });
}

/** Calls `method` once; resolves with the answering server's label or rejects with the gRPC error. */
export function callWho(client: grpc.Client, method = WHO_METHOD, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method, identity, identity, Buffer.alloc(0), { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(err);
      else resolve((res ?? Buffer.alloc(0)).toString());
    });
  });
}

/** Polls `probe` until it returns true; fails after `timeoutMs` with `what` and the last error. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The label that answers `callWho`, or the error text when the call fails. */
export async function whoAnswers(client: grpc.Client): Promise<string> {
  try {
    return await callWho(client, WHO_METHOD, 3_000);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}
