import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.js';
import { DTM_SERVICE } from '../../protocol/dtm-proto.js';
import { loadProtoFiles, PROTO_LOADER_OPTIONS } from '../../protocol/proto-files.js';
import type { TransCallDeps } from '../trans-commands.js';
import type { TopicCallDeps } from '../topic-calls.js';
import { dtmServiceHandlers, rawRequestService } from './dtm-service.js';
import { authInterceptor, messageTimeoutInterceptor, metricsInterceptor } from './grpc-interceptors.js';
import { readBudgetInterceptor } from './read-budget-interceptor.js';
import type { ReadBudget } from '../read-budget.js';

export interface GrpcIngressOptions extends TransCallDeps, TopicCallDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `HttpMaxBodyBytes`: larger messages end ResourceExhausted before they are read into memory. */
  readonly maxMessageBytes: number;
  /** `HttpMaxBodyBytesInFlight`, shared with the HTTP ingress: a call reads its message once it admits `maxMessageBytes`. */
  readonly readBudget: ReadBudget;
  /** `GrpcMaxConcurrentStreams`: calls open at once on one connection; a client queues the rest. */
  readonly maxConcurrentStreams: number;
  /** `GrpcMessageTimeout` in ms: a dtm call's request message must arrive within it (DEADLINE_EXCEEDED). */
  readonly messageTimeoutMs: number;
  /** `Auth.Tokens`; empty = no authentication (dtm's behaviour). */
  readonly tokens: readonly string[];
  /** `Tls.*`, as for HTTPS (TlsReloader.grpcCredentials); absent: plaintext. */
  readonly credentials?: grpc.ServerCredentials;
}

export interface GrpcIngress {
  /** The bound port (the configured one, or the one the OS chose for 0). */
  readonly port: number;
  /** Health turns NOT_SERVING, calls in flight finish (up to `graceMs`), then the rest is cut. */
  stop(graceMs?: number): Promise<void>;
}


/**
 * The gRPC ingress (DESIGN §1.1, spec §10): `dtmgimp.Dtm` on `GrpcPort`, plus gRPC health checking
 * (`grpc.health.v1.Health`: '' and `dtmgimp.Dtm` SERVING) and server reflection (v1 and v1alpha)
 * listing both, as dtm registers reflection.
 */
export async function startGrpcIngress(opts: GrpcIngressOptions, host: string, port: number): Promise<GrpcIngress> {
  // the first given is the innermost: a call ended by the budget's read timeout is still counted
  const interceptors = [
    metricsInterceptor(opts.metrics),
    readBudgetInterceptor(opts.readBudget, opts.maxMessageBytes, opts.messageTimeoutMs),
    messageTimeoutInterceptor(opts.messageTimeoutMs),
    ...(opts.tokens.length > 0 ? [authInterceptor(opts.tokens)] : []),
  ];
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_concurrent_streams': opts.maxConcurrentStreams,
    interceptors,
  });
  server.addService(rawRequestService(), dtmServiceHandlers(opts, opts.logger));
  const health = new HealthImplementation({ '': 'SERVING', [DTM_SERVICE]: 'SERVING' });
  health.addToServer(server);
  const reflected = { ...loadProtoFiles(['dtmgimp.proto']), ...protoLoader.loadSync(healthProtoPath, { ...PROTO_LOADER_OPTIONS }) };
  new ReflectionService(reflected).addToServer(server);

  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    stop: (graceMs = 2000) => new Promise<void>((resolve) => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(DTM_SERVICE, 'NOT_SERVING');
      const cut = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      cut.unref();
      server.tryShutdown(() => {
        clearTimeout(cut);
        resolve();
      });
    }),
  };
}
