import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/index.js';
import { BranchInvoker } from './branch-invoker.js';
import { GrpcInvoker, type GrpcTlsOptions, type ParseServerMethod } from './grpc-invoker.js';
import { HttpInvoker } from './http-invoker.js';
import type { Invoker } from './invoker.js';
import type { OutboundPolicy } from './outbound-policy.js';
import { branchTargetOf } from './outbound-check.js';

/**
 * The engine's invoker from the configuration: HTTP/JSON-RPC and gRPC branch calls behind one
 * outbound policy (checked on every connection), gRPC targets split by the active driver.
 */
export function buildInvoker(config: ResolvedConfig, logger: Logger, policy: OutboundPolicy, parseServerMethod: ParseServerMethod): Invoker {
  return new BranchInvoker({
    http: new HttpInvoker({ logger: logger.child({ component: 'invoker.http' }), policy, maxAnswerBytes: config.Invoker.MaxAnswerBytes }),
    grpc: new GrpcInvoker({
      parseServerMethod,
      serviceConfig: config.GrpcServiceConfig,
      logger: logger.child({ component: 'invoker.grpc' }),
      ...grpcTlsOf(config),
      guard: (server) => {
        // targets of a driver's registry (etcd://, discovery:///) are resolved by the driver
        const target = branchTargetOf(`${server}/x/y`, 'grpc');
        return target === undefined ? Promise.resolve(undefined) : policy.callProblem(target.host, target.port);
      },
    }),
  });
}

/** `Invoker.GrpcTls`: TLS when a CA or a client certificate is configured; plaintext otherwise (dtm's). */
function grpcTlsOf(config: ResolvedConfig): { tls?: GrpcTlsOptions } {
  const t = config.Invoker.GrpcTls;
  if (t.CaFile === '' && t.CertFile === '') return {};
  return {
    tls: {
      ...(t.CaFile !== '' ? { ca: readFileSync(t.CaFile) } : {}),
      ...(t.CertFile !== '' ? { cert: readFileSync(t.CertFile), key: readFileSync(t.KeyFile) } : {}),
    },
  };
}
