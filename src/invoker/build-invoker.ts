import type { Logger } from 'pino';
import type * as grpc from '@grpc/grpc-js';
import type { ResolvedConfig } from '../config/index.js';
import { BranchInvoker } from './branch-invoker.js';
import { GrpcInvoker, type ParseServerMethod } from './grpc-invoker.js';
import { HttpInvoker } from './http-invoker.js';
import type { Invoker } from './invoker.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { targetProblem } from './outbound-check.js';
import { grpcDialTarget } from './grpc-target.js';
import { connectionProblem } from './guarded-credentials.js';

/**
 * The engine's invoker from the configuration: HTTP/JSON-RPC and gRPC branch calls behind one
 * outbound policy (checked on every connection), gRPC targets split by the active driver.
 * `grpcCredentials`: `Invoker.GrpcTls` (TlsSettings.branches, following its files); none: plaintext, as dtm.
 */
export function buildInvoker(config: ResolvedConfig, logger: Logger, policy: OutboundPolicy, parseServerMethod: ParseServerMethod, grpcCredentials?: grpc.ChannelCredentials): Invoker {
  return new BranchInvoker({
    http: new HttpInvoker({ logger: logger.child({ component: 'invoker.http' }), policy, maxAnswerBytes: config.Invoker.MaxAnswerBytes }),
    grpc: new GrpcInvoker({
      parseServerMethod,
      serviceConfig: config.GrpcServiceConfig,
      logger: logger.child({ component: 'invoker.grpc' }),
      ...(grpcCredentials !== undefined ? { credentials: grpcCredentials } : {}),
      // before the call: every address the target names, resolved now (a registry's are the driver's)
      guard: (server) => targetProblem(grpcDialTarget(server), policy, 'call'),
      // on each connection: the address reached (guarded-credentials.ts)
      connectionGuard: (server) => {
        const target = grpcDialTarget(server);
        return (socket) => connectionProblem(target, policy, socket.remoteAddress, socket.remotePort);
      },
    }),
  });
}
