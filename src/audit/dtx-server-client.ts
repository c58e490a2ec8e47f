/**
 * Reads from a running dtx over its HTTP API (`--server`), for the CLI's read-only commands. Every
 * failure becomes one sentence an operator can act on: an unreachable or unresolvable server, a
 * URL that is not one, a refused token, an unexpected status.
 */
export class DtxServerClient {
  readonly base: string;

  constructor(
    server: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new ServerUnreachable(`--server '${server}' is not a URL; give dtx's HTTP address, e.g. http://127.0.0.1:36789`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServerUnreachable(`--server '${server}' must be an http:// or https:// URL`);
    this.base = url.href.replace(/\/+$/, '');
  }

  /** GET `path` (with query); resolves the status and parsed JSON body, undefined body for 404. */
  async getJson<T>(path: string): Promise<{ status: number; body: T | undefined }> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        headers: this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ServerUnreachable(`cannot reach dtx at ${this.base}: ${reasonOf(err, this.timeoutMs)}`);
    }
    const text = await res.text();
    if (res.status === 401) throw new ServerUnreachable(`${this.base} refused the request (401): pass --token <token> (one of its Auth.Tokens)`);
    if (res.status === 404) return { status: 404, body: undefined };
    if (!res.ok) throw new ServerUnreachable(`${this.base}${path} answered ${res.status}: ${text.slice(0, 500)}`);
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch {
      throw new ServerUnreachable(`${this.base} answered something that is not JSON; is it a dtx HTTP port?`);
    }
  }
}

/** The server could not be asked (not a dtx answer, not reachable, not authorized). */
export class ServerUnreachable extends Error {
  override readonly name = 'ServerUnreachable';
}

function reasonOf(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const code = e.cause?.code;
  const detail = e.cause?.message ?? (err instanceof Error ? err.message : String(err));
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is dtx running there, on that port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ECONNRESET':
      return 'the connection was reset (https:// against a plain HTTP port, or the reverse?)';
    case undefined:
      return detail;
    default:
      return `${code} (${detail})`;
  }
}
