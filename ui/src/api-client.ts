import { clearToken, currentToken, requestToken } from './auth-token';

/**
 * Calls dtx's HTTP API at absolute `/api/...` paths (the API does not move with AdminBasePath).
 * Sends the bearer token when one is stored; on 401 it asks for a token (auth-token.ts) and
 * retries. Every non-2xx answer becomes an ApiError carrying the API's own message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type QueryParams = Readonly<Record<string, string | number | undefined>>;

export function withParams(path: string, params: QueryParams = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> {
  for (;;) {
    const token = currentToken();
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw new ApiError(0, `cannot reach dtx: ${(err as Error).message}`);
    }
    const text = await res.text();
    const parsed = parseJson(text);
    const message = field(parsed, 'message') ?? (text.trim() || `HTTP ${res.status} ${res.statusText}`);
    const code = field(parsed, 'code');
    if (res.status === 401) {
      if (token !== null) clearToken();
      try {
        await requestToken({ message, rejectedToken: token !== null });
      } catch {
        throw new ApiError(401, message, code);
      }
      continue; // a token was entered: try again with it
    }
    if (!res.ok) throw new ApiError(res.status, message, code);
    return text;
  }
}

export async function getJson<T>(path: string, params?: QueryParams): Promise<T> {
  const text = await send('GET', withParams(path, params));
  const parsed = parseJson(text);
  if (parsed === undefined) throw new ApiError(200, `the answer of ${path} is not JSON`);
  return parsed as T;
}

export function getText(path: string, params?: QueryParams): Promise<string> {
  return send('GET', withParams(path, params));
}

/** POSTs a JSON body; resolves with the parsed answer (dtm's `{"dtm_result":"SUCCESS"}` on success). */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return parseJson(await send('POST', path, body)) as T;
}
