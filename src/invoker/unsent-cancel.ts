import type { Dispatcher } from 'undici';

/**
 * An undici interceptor that drops a request at the last moment before it is written to a socket
 * once `signal` is aborted: a branch call of a force-stopped transaction still waiting for a pooled
 * connection never starts, while a call already on the wire runs to its end (the branch may be
 * executing it; dtx just ignores its result). undici calls `onRequestStart` right before writing;
 * aborting there leaves the request unsent.
 */
export function cancelUnsent(signal: AbortSignal): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) =>
    dispatch(opts, {
      onRequestStart(controller, context) {
        if (signal.aborted) {
          controller.abort(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
          return;
        }
        handler.onRequestStart?.(controller, context);
      },
      onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
}
