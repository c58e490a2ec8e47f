import * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../../observability/metrics.js';
import { Unauthorized } from '../../errors.js';
import { grpcStatusOf } from '../../protocol/error-grpc-status.js';
import { bearerTokenOf, tokenMatcher } from '../http/bearer-auth.js';
import { ERROR_CODE_TRAILER } from './dtm-service.js';
import { DTM_SERVICE } from '../../protocol/dtm-proto.js';
import { grpcApiLabel } from '../../observability/api-label.js';

/**
 * Server interceptors of the gRPC ingress. grpc-js chains them so that the last one given is the
 * outermost: pass `[metricsInterceptor, authInterceptor]` and a refused call is still counted.
 */

/** gRPC health checking answers without a token: load balancers and orchestrators probe it. */
export const isPublicGrpcMethod = (path: string): boolean => path.startsWith('/grpc.health.v1.Health/');

/**
 * `Auth.Tokens` for gRPC (docs/security.md): every call but health checking needs metadata
 * `authorization: Bearer <token>`; others end Unauthenticated before the handler runs.
 */
export function authInterceptor(tokens: readonly string[]): grpc.ServerInterceptor {
  const matches = tokenMatcher(tokens);
  return (method, call) => new grpc.ServerInterceptingCall(call, {
    start: (next) => {
      next({
        onReceiveMetadata: (metadata, mdNext) => {
          if (isPublicGrpcMethod(method.path)) return mdNext(metadata);
          const values = metadata.get('authorization');
          const token = values.length === 1 && typeof values[0] === 'string' ? bearerTokenOf(values[0]) : undefined;
          if (token !== undefined && matches(token)) return mdNext(metadata);
          const err = new Unauthorized(token === undefined ? 'authentication required: send metadata authorization: Bearer <token>' : 'invalid bearer token');
          const trailer = new grpc.Metadata();
          trailer.set(ERROR_CODE_TRAILER, err.code);
          call.sendStatus({ code: grpcStatusOf(err.result, err.code), details: err.message, metadata: trailer });
        },
      });
    },
  });
}

/**
 * dtm's request metrics (spec §13): `type="grpc"`, `api` = the method name lower-cased for the
 * methods dtx knows (src/observability/api-label.ts), `unknown` for any other.
 */
export function metricsInterceptor(metrics: Metrics): grpc.ServerInterceptor {
  return (method, call) => {
    const api = grpcApiLabel(method.path);
    const end = metrics.responseDuration.startTimer({ type: 'grpc', api });
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        end();
        metrics.serverProcess.inc({ type: 'grpc', api, status: status.code === grpc.status.OK ? 'ok' : 'fail' });
        next(status);
      },
    });
  };
}

/** The status of a call whose request message did not arrive within `ms` (GrpcMessageTimeout). */
export function messageDeadlineStatus(ms: number): grpc.StatusObject {
  return { code: grpc.status.DEADLINE_EXCEEDED, details: `the request message did not arrive within ${ms / 1000} s`, metadata: new grpc.Metadata() };
}

/**
 * A `dtmgimp.Dtm` call (all unary) must deliver its whole request message within `ms` of its
 * start, as Node's request timeout bounds an HTTP request (300 s by default): a call whose message
 * never completes would wait forever. It ends DEADLINE_EXCEEDED; its HTTP/2 stream counts against
 * `GrpcMaxConcurrentStreams` until the client closes its side (what bounds memory is that limit,
 * docs/limits.md). Health checking and reflection streams are not timed.
 */
export function messageTimeoutInterceptor(ms: number): grpc.ServerInterceptor {
  return (method, call) => {
    if (!method.path.startsWith(`/${DTM_SERVICE}/`)) return new grpc.ServerInterceptingCall(call);
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        timer = setTimeout(() => {
          timer = undefined;
          call.sendStatus(messageDeadlineStatus(ms));
        }, ms);
        next({
          onReceiveMessage: (message, messageNext) => {
            stop();
            messageNext(message);
          },
          onCancel: stop,
        });
      },
      sendStatus: (status, next) => {
        stop();
        next(status);
      },
    });
  };
}

