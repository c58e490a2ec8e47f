/**
 * gRPC clients of dtx's ingress for integration tests: the typed `dtmgimp.Dtm` client built from
 * src/protocol/dtm-proto.ts (as a dtm SDK would call it), a raw client that sends any bytes to any
 * method (to send malformed messages), and the health and reflection services.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { dtmProto, type DtmRequest, type MessageInit } from '../../src/protocol/dtm-proto.js';

export interface CallOutcome<T = unknown> {
  readonly code: grpc.status;
  readonly details: string;
  readonly value?: T;
  readonly trailer?: grpc.Metadata;
}

type UnaryMethod = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, v?: unknown) => void) => unknown;

/** Calls `method` on `client` and resolves with the status (never rejects on a gRPC error). */
export function unary<T>(client: grpc.Client, method: string, request: unknown, metadata = new grpc.Metadata(), deadlineMs = 15_000): Promise<CallOutcome<T>> {
  const fn = (client as unknown as Record<string, UnaryMethod>)[method];
  if (fn === undefined) throw new Error(`no method ${method} on the client`);
  return new Promise((resolve) => {
    fn.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (err, value) => {
      if (err) resolve({ code: err.code, details: err.details, trailer: err.metadata });
      else resolve({ code: grpc.status.OK, details: '', value: value as T });
    });
  });
}

export function dtmClient(target: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): grpc.Client {
  const { DtmClient } = dtmProto();
  return new DtmClient(target, credentials, options);
}

/** A DtmRequest for `Submit`/`Prepare`: steps as JSON text, payloads as bytes. */
export function dtmRequest(gid: string, transType: string, steps: readonly Record<string, string>[] | null, payloads: readonly string[], extra: MessageInit<DtmRequest> = {}): MessageInit<DtmRequest> {
  return { Gid: gid, TransType: transType, Steps: JSON.stringify(steps), BinPayloads: payloads.map((p) => Buffer.from(p)), ...extra };
}

const identity = (b: Buffer): Buffer => b;

/** Sends `bytes` as the request message of `/dtmgimp.Dtm/<rpc>` as they are. */
export function rawCall(target: string, rpc: string, bytes: Uint8Array, metadata = new grpc.Metadata()): Promise<CallOutcome<Buffer>> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(`/dtmgimp.Dtm/${rpc}`, identity, identity, Buffer.from(bytes), metadata, { deadline: Date.now() + 15_000 }, (err, value) => {
      client.close();
      if (err) resolve({ code: err.code, details: err.details, trailer: err.metadata });
      else resolve({ code: grpc.status.OK, details: '', ...(value ? { value } : {}) });
    });
  });
}

const require = createRequire(import.meta.url);
const LOADER = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** `grpc.health.v1.Health` client (grpc-health-check's proto). */
export function healthClient(target: string, credentials = grpc.credentials.createInsecure()): grpc.Client {
  const def = protoLoader.loadSync(healthProtoPath, LOADER);
  const Ctor = grpc.makeGenericClientConstructor(def['grpc.health.v1.Health'] as grpc.ServiceDefinition, 'Health');
  return new Ctor(target, credentials);
}

/** The service names server reflection (v1) lists, or the status of a refused stream. */
export function reflectedServices(target: string, metadata = new grpc.Metadata()): Promise<{ services: string[] } | { code: grpc.status; details: string }> {
  const reflectionDir = path.dirname(require.resolve('@grpc/reflection/package.json'));
  const def = protoLoader.loadSync(path.join(reflectionDir, 'build/proto/grpc/reflection/v1/reflection.proto'), LOADER);
  const Ctor = grpc.makeGenericClientConstructor(def['grpc.reflection.v1.ServerReflection'] as grpc.ServiceDefinition, 'ServerReflection');
  const client = new Ctor(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const stream = (client as unknown as { ServerReflectionInfo: (md: grpc.Metadata) => grpc.ClientDuplexStream<unknown, { list_services_response?: { service: { name: string }[] } }> }).ServerReflectionInfo(metadata);
    stream.on('data', (msg) => {
      resolve({ services: (msg.list_services_response?.service ?? []).map((s: { name: string }) => s.name).sort() });
      stream.end();
    });
    stream.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.on('close', () => client.close());
    stream.write({ list_services: '*' });
  });
}
