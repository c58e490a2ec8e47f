/**
 * A real @grpc/grpc-js branch server on 127.0.0.1 (random port) for invoker tests. Service
 * `test.Branch` with identity (de)serialisers, so tests see the raw request bytes. Each method
 * answers one way: Ok, Aborted ("boom"), AbortedOngoing ("ONGOING"), FailedPrecondition,
 * Unavailable, Unknown, Slow (OK after 5 s unless cancelled). Every request is recorded.
 * Also a TCP counter that sits in front of it to observe the invoker's connections.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll } from 'vitest';

export interface RecordedCall {
  readonly path: string;
  readonly payload: Buffer;
  readonly metadata: grpc.Metadata;
  /** The SHA-256 fingerprint of the caller's certificate (mutual TLS), if it presented one. */
  readonly peerCertificate?: string;
}

export interface GrpcBranchServer {
  readonly port: number;
  /** `127.0.0.1:<port>`: a gRPC dial target. */
  readonly target: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

type Answer = (callback: grpc.sendUnaryData<Buffer>, call: grpc.ServerUnaryCall<Buffer, Buffer>) => void;

const fail = (code: grpc.status, details: string): Answer => (callback) => callback({ code, details });

const ANSWERS: Readonly<Record<string, Answer>> = {
  Ok: (callback) => callback(null, Buffer.from([0xde, 0xad])),
  Aborted: fail(grpc.status.ABORTED, 'boom'),
  AbortedOngoing: fail(grpc.status.ABORTED, 'ONGOING'),
  FailedPrecondition: fail(grpc.status.FAILED_PRECONDITION, 'not yet'),
  Unavailable: fail(grpc.status.UNAVAILABLE, 'down for maintenance'),
  Unknown: fail(grpc.status.UNKNOWN, 'kaput'),
  Slow: (callback, call) => {
    const timer = setTimeout(() => callback(null, Buffer.alloc(0)), 5_000);
    call.on('cancelled', () => clearTimeout(timer));
  },
};

const identity = (b: Buffer): Buffer => b;

export const BRANCH_SERVICE: grpc.ServiceDefinition = Object.fromEntries(
  Object.keys(ANSWERS).map((name) => [name, {
    path: `/test.Branch/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  }]),
);

export async function startGrpcBranchServer(credentials = grpc.ServerCredentials.createInsecure()): Promise<GrpcBranchServer> {
  const calls: RecordedCall[] = [];
  const server = new grpc.Server();
  const handlers: grpc.UntypedServiceImplementation = Object.fromEntries(
    Object.entries(ANSWERS).map(([name, answer]) => [name, (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const peer = call.getAuthContext().sslPeerCertificate?.fingerprint256;
      calls.push({ path: `/test.Branch/${name}`, payload: call.request, metadata: call.metadata, ...(peer ? { peerCertificate: peer } : {}) });
      answer(callback, call);
    }]),
  );
  server.addService(BRANCH_SERVICE, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port,
    target: `127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}

export interface TcpCounter {
  /** `127.0.0.1:<port>` of the counter; connections are piped to the target port. */
  readonly target: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections still open. */
  open(): number;
  close(): Promise<void>;
}

/** A TCP forwarder counting the connections a client opens to `port`. */
export async function startTcpCounter(port: number): Promise<TcpCounter> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    accepted += 1;
    const outbound = net.connect(port, '127.0.0.1');
    sockets.add(inbound);
    const drop = (): void => {
      sockets.delete(inbound);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', drop).on('error', drop);
    outbound.on('close', drop).on('error', drop);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One server for the enclosing describe block, its recorded calls cleared after each test. */
export function grpcBranchServerPerSuite(): () => GrpcBranchServer {
  let server: GrpcBranchServer | undefined;
  beforeAll(async () => {
    server = await startGrpcBranchServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    server?.calls.splice(0);
  });
  return () => server!;
}
