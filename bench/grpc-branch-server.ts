/**
 * Loopback gRPC branch service of the benchmark's gRPC ingress runs, forked by
 * bench/branch-service.ts like bench/branch-server.ts: a grpc-js server answering every unary call
 * on `/busi.Busi/<Method>` with empty bytes and status OK (dtm's SUCCESS for a gRPC branch). The
 * payload is taken as raw bytes, so no business proto is needed. Reports its port over IPC, answers
 * `calls` with the call count, exits when the parent goes away, on SIGTERM or after argv[2] seconds.
 */
import * as grpc from '@grpc/grpc-js';

/** The methods the gRPC workload's sagas name (bench/grpc-submitter.ts). */
const GRPC_BRANCH_METHODS = ['TransOut', 'TransOutRevert', 'TransIn', 'TransInRevert'] as const;

const maxLifetimeSeconds = Number(process.argv[2] ?? 3600);
let calls = 0;

const raw = (b: Buffer): Buffer => b;
const definition: grpc.ServiceDefinition = Object.fromEntries(
  GRPC_BRANCH_METHODS.map((m) => [
    m,
    { path: `/busi.Busi/${m}`, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
  ]),
);
const empty = Buffer.alloc(0);
const handlers: grpc.UntypedServiceImplementation = Object.fromEntries(
  GRPC_BRANCH_METHODS.map((m) => [
    m,
    (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
      calls++;
      callback(null, empty);
    },
  ]),
);

const server = new grpc.Server();
server.addService(definition, handlers);

const quit = (): void => {
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.send?.({ port });
});
process.on('message', (m) => {
  if (m === 'calls') process.send?.({ calls });
});
process.on('disconnect', quit);
process.on('SIGTERM', quit);
setTimeout(quit, maxLifetimeSeconds * 1000).unref();
