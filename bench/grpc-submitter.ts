/**
 * Submits of the benchmark's gRPC ingress runs: dtm's `dtmgimp.Dtm/Submit` (proto/dtmgimp.proto)
 * on dtx's gRPC port, as the dtmgrpc SDK sends it — a saga with wait_result, the steps as JSON
 * text and one (empty) protobuf payload per step. Branches are empty (`empty`, dtm's empty saga) or
 * `host:port/busi.Busi/<Method>` on bench/grpc-branch-server.ts (`http` workload over gRPC).
 * One grpc-js channel per dtx process, shared by every in-flight submit (HTTP/2 multiplexing).
 */
import * as grpc from '@grpc/grpc-js';
import { dtmProto } from '../src/protocol/dtm-proto.js';
import type { Workload } from './report.js';
import { distinctPayload } from './bench-payload.js';

export interface GrpcSubmitter {
  /** Resolves undefined on OK, else a description of the failure. */
  submit(target: string, gid: string, signal: AbortSignal): Promise<string | undefined>;
  close(): void;
}

const REQUEST_TIMEOUT_MS = 30_000;

export function grpcSteps(workload: Workload, branch: string | undefined): string {
  if (workload === 'empty') return '[{"action":"","compensate":""},{"action":"","compensate":""}]';
  const m = (name: string): string => `${branch}/busi.Busi/${name}`;
  return JSON.stringify([
    { action: m('TransOut'), compensate: m('TransOutRevert') },
    { action: m('TransIn'), compensate: m('TransInRevert') },
  ]);
}

export function createGrpcSubmitter(workload: Workload, branch: string | undefined, payload = ''): GrpcSubmitter {
  const { DtmClient } = dtmProto();
  const clients = new Map<string, grpc.Client>();
  const channels = Number(process.env.BENCH_GRPC_CHANNELS ?? 1);
  let turn = 0;
  const steps = grpcSteps(workload, branch);
  const payloadsOf = (gid: string): Buffer[] => [Buffer.from(distinctPayload(payload, gid, 1)), Buffer.from(distinctPayload(payload, gid, 2))];
  const clientOf = (target: string): grpc.Client => {
    const key = `${target}#${turn++ % channels}`;
    let c = clients.get(key);
    if (c === undefined) {
      c = new DtmClient(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      clients.set(key, c);
    }
    return c;
  };
  return {
    submit(target, gid, signal) {
      const client = clientOf(target) as grpc.Client & { Submit: (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall };
      return new Promise((resolve) => {
        const request = { Gid: gid, TransType: 'saga', TransOptions: { WaitResult: true }, Steps: steps, BinPayloads: payloadsOf(gid) };
        const call = client.Submit(request, { deadline: Date.now() + REQUEST_TIMEOUT_MS }, (err) => {
          signal.removeEventListener('abort', cancel);
          resolve(err === null ? undefined : `grpc ${grpc.status[err.code] ?? err.code}: ${err.details}`);
        });
        const cancel = (): void => call.cancel();
        signal.addEventListener('abort', cancel, { once: true });
      });
    },
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}
