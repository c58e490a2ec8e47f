/**
 * The API bearer token: kept in sessionStorage (gone when the tab closes), sent by api-client on
 * every call. When the API answers 401, api-client calls `requestToken`, which asks the token
 * prompt (token-prompt.tsx) and resolves once the operator entered a token, or rejects when they
 * cancel. Concurrent 401s share one prompt.
 */

const STORAGE_KEY = 'dtx.apiToken';

export function currentToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the token lives only as long as a prompt answer
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    /* storage disabled: nothing to keep */
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* storage disabled */
  }
}

/** What the prompt shows: the API's own message, and whether a token was already tried. */
export interface TokenRequest {
  readonly message: string;
  readonly rejectedToken: boolean;
}

type Listener = (request: TokenRequest | null) => void;

let pending: { request: TokenRequest; resolve: () => void; reject: (err: Error) => void; promise: Promise<void> } | undefined;
const listeners = new Set<Listener>();

/** Subscribes the prompt; it is called with the open request, or null once it is answered. */
export function onTokenRequest(listener: Listener): () => void {
  listeners.add(listener);
  listener(pending?.request ?? null);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const l of listeners) l(pending?.request ?? null);
}

/** Asks the operator for a token; resolves when one was saved, rejects when the prompt is cancelled. */
export function requestToken(request: TokenRequest): Promise<void> {
  if (pending !== undefined) return pending.promise;
  if (listeners.size === 0) return Promise.reject(new Error(request.message));
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  pending = { request, resolve, reject, promise };
  notify();
  return promise;
}

export function provideToken(token: string): void {
  saveToken(token);
  const p = pending;
  pending = undefined;
  notify();
  p?.resolve();
}

export function cancelTokenRequest(): void {
  const p = pending;
  pending = undefined;
  notify();
  p?.reject(new Error(p.request.message));
}
