/**
 * A listener (HTTP or gRPC port) that could not be opened at start, with the reason sorted into
 * what an operator can fix: the port is taken, the host does not resolve or is not an address of
 * this machine, the port needs privileges. The CLI turns it into one line with the fix.
 */
export type ListenProblem = 'in-use' | 'no-such-host' | 'not-local' | 'denied' | 'other';

export class ListenError extends Error {
  override readonly name = 'ListenError';

  constructor(
    /** `HTTP` (HttpPort, also JSON-RPC, metrics and the admin UI) or `gRPC` (GrpcPort). */
    readonly listener: 'HTTP' | 'gRPC',
    readonly host: string,
    readonly port: number,
    readonly problem: ListenProblem,
    options: { cause: unknown },
  ) {
    super(`cannot listen on ${listener} ${host}:${port}: ${causeText(options.cause)}`, options);
  }

  /** Sorts a failed `listen` / `bindAsync` (Node's error codes; grpc-js only puts them in the text). */
  static of(listener: 'HTTP' | 'gRPC', host: string, port: number, cause: unknown): ListenError {
    return new ListenError(listener, host, port, problemOf(cause), { cause });
  }
}

function problemOf(cause: unknown): ListenProblem {
  const text = `${(cause as { code?: unknown } | undefined)?.code ?? ''} ${causeText(cause)}`;
  if (/EADDRINUSE/.test(text)) return 'in-use';
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|Name resolution failed/.test(text)) return 'no-such-host';
  if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test(text)) return 'not-local';
  if (/EACCES|EPERM/.test(text)) return 'denied';
  return 'other';
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
