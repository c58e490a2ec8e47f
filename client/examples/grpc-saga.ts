// A saga over gRPC: a grpc-js branch service, the saga submitted through dtx's gRPC API.
// Run `npm start` at the repository root, then `node client/dist/examples/grpc-saga.js`.
import * as grpc from '@grpc/grpc-js';
import { dtmGrpcHandler, grpcDtm, rawServiceDefinition, Saga } from '../src/index.js'; // in your code: from 'dtx-client'
import { DTX_GRPC, say } from './example-env.js';

// dtx sends each branch its payload bytes as the request message: here JSON, in your service
// usually a protobuf message encoded by your own codegen
const methods = ['TransOut', 'TransOutCompensate', 'TransIn', 'TransInCompensate'];
const server = new grpc.Server();
server.addService(
  rawServiceDefinition('busi.Busi', methods),
  Object.fromEntries(methods.map((m) => [m, dtmGrpcHandler<Buffer, Buffer>(async (ctx, request) => {
    say(`${m} ${ctx.gid} ${ctx.op} ${request.toString('utf8')}`);
    return Buffer.alloc(0);
  })])),
);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
const busi = `127.0.0.1:${port}/busi.Busi`;

const dtm = grpcDtm(DTX_GRPC);
const gid = await dtm.newGid();
await new Saga(dtm, gid, { wait_result: true })
  .add(`${busi}/TransOut`, `${busi}/TransOutCompensate`, { amount: 30 })
  .add(`${busi}/TransIn`, `${busi}/TransInCompensate`, { amount: 30 })
  .submit();
say(`saga ${gid} succeeded`);
dtm.close();
server.forceShutdown();
