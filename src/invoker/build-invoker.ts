import type { Logger } from 'pino';
import { readTlsFiles, type ResolvedConfig } from '../config/index.js';
import { BranchInvoker } from './branch-invoker.js';
import { GrpcInvoker, type GrpcTlsOptions, type ParseServerMethod } from './grpc-invoker.js';
import { HttpInvoker } from './http-invoker.js';
import type { Invoker } from './invoker.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { targetProblem } from './outbound-check.js';
import { grpcDialTarget } from './grpc-target.js';
import { connectionProblem } from './guarded-credentials.js';

/**
 * The engine's invoker from the configuration: HTTP/JSON-RPC and gRPC branch calls behind one
 * outbound policy (checked on every connection), gRPC targets split by the active driver.
 */
export function buildInvoker(config: ResolvedConfig, logger: Logger, policy: OutboundPolicy, parseServerMethod: ParseServerMethod, grpcTls: { tls?: GrpcTlsOptions }): Invoker {
  return new BranchInvoker({
    http: new HttpInvoker({ logger: logger.child({ component: 'invoker.http' }), policy, maxAnswerBytes: config.Invoker.MaxAnswerBytes }),
    grpc: new GrpcInvoker({
      parseServerMethod,
      serviceConfig: config.GrpcServiceConfig,
      logger: logger.child({ component: 'invoker.grpc' }),
      ...grpcTls,
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

/**
 * `Invoker.GrpcTls`: TLS when a CA or a client certificate is configured; plaintext otherwise (dtm's).
 * Its files are read and checked here (a ConfigError naming the key): call it before opening anything.
 */
export function grpcTlsOf(config: ResolvedConfig): { tls?: GrpcTlsOptions } {
  const t = config.Invoker.GrpcTls;
  if (t.CaFile === '' && t.CertFile === '') return {};
  return { tls: readTlsFiles('Invoker.GrpcTls', t) };
}
