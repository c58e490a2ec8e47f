import type { Dispatcher } from 'undici';
import type { CallCancel } from './invoker.js';

/** The dispatch option that carries a request's cancellation (`CallCancel`) to `cancelUnsent` (our own key). */
export const UNSENT_SIGNAL: unique symbol = Symbol('dtx.cancelUnsent');

/**
 * An undici interceptor that drops a request at the last moment before it is written to a socket
 * once the signal in its `UNSENT_SIGNAL` option is aborted: a branch call of a force-stopped
 * transaction still waiting for a pooled connection never starts, while a call already on the wire
 * runs to its end (the branch may be executing it; dtx just ignores its result). undici calls
 * `onRequestStart` right before writing; aborting there leaves the request unsent. Composed once
 * onto the invoker's agent (a composition per call costs a dispatcher per call); a request without
 * the option passes untouched.
 */
export function cancelUnsent(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const signal = (opts as { [UNSENT_SIGNAL]?: CallCancel })[UNSENT_SIGNAL];
    if (signal === undefined) return dispatch(opts, handler);
    return dispatch(opts, {
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
  };
}
