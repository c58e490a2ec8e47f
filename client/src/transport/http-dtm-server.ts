import { DtmFailure, DtmOngoing, DtmRequestError, DtmTransportError, withResultSuffix } from '../errors.js';
import { payloadText } from '../payload.js';
import { TRANS_OPTION_KEYS, type TransRequest, type WorkflowProgresses } from '../trans-request.js';
import { callTimeoutMs, DEFAULT_TIMEOUT_MS, type BranchRegistrationCall, type DtmServer, type DtmServerOptions, type GlobalTransCall } from './dtm-server.js';
import { decodeProgresses } from './progresses-json.js';

const textOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The JSON body dtm's Go SDK sends for a global transaction (its TransBase). */
export function transRequestOf(call: GlobalTransCall): TransRequest {
  const body: TransRequest = { gid: call.gid, trans_type: call.trans_type, protocol: 'http', concurrent: call.concurrent ?? false };
  for (const key of TRANS_OPTION_KEYS) {
    const v = call.options[key];
    if (v !== undefined && v !== 0 && v !== false) (body as unknown as Record<string, unknown>)[key] = v;
  }
  if (call.custom_data) body.custom_data = call.custom_data;
  if (call.steps && call.steps.length > 0) body.steps = call.steps.map((s) => ({ ...s }));
  // payloads are text in dtm's HTTP API: bytes that are not UTF-8 throw a TypeError (use gRPC)
  if (call.payloads && call.payloads.length > 0) body.payloads = call.payloads.map(payloadText);
  if (call.query_prepared) body.query_prepared = call.query_prepared;
  if (call.rollback_reason) body.rollback_reason = call.rollback_reason;
  if (call.req_extra) body.req_extra = { ...call.req_extra };
  return body;
}

/**
 * dtm's HTTP API (`/api/dtmsvr/*`) with Node's fetch. Answers are read as dtm's SDKs read them:
 * 200 without the word FAILURE is SUCCESS, 409 or FAILURE in the body is DtmFailure, 425 DtmOngoing,
 * anything else DtmRequestError; no answer is DtmTransportError.
 */
export class HttpDtmServer implements DtmServer {
  readonly protocol = 'http';
  readonly #timeoutMs: number;

  constructor(
    readonly address: string,
    options: DtmServerOptions = {},
  ) {
    this.address = address.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async newGid(): Promise<string> {
    const { body } = await this.#call('GET', 'newGid', undefined, this.#timeoutMs);
    const gid = (JSON.parse(body) as { gid?: unknown }).gid;
    if (typeof gid !== 'string' || gid === '') throw new DtmRequestError(`newGid: no gid in the answer: ${body}`, 200, undefined, body);
    return gid;
  }

  async prepare(call: GlobalTransCall): Promise<void> {
    await this.#call('POST', 'prepare', transRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs));
  }

  async submit(call: GlobalTransCall): Promise<void> {
    await this.#call('POST', 'submit', transRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs));
  }

  async abort(call: GlobalTransCall): Promise<void> {
    await this.#call('POST', 'abort', transRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs));
  }

  async registerBranch(call: BranchRegistrationCall): Promise<void> {
    const body: Record<string, string> = { ...call.fields };
    if (call.payload !== undefined) body.data = textOf(call.payload);
    await this.#call('POST', 'registerBranch', body, this.#timeoutMs);
  }

  async prepareWorkflow(call: GlobalTransCall): Promise<WorkflowProgresses> {
    // the answer holds the stored rollback_reason, which may contain FAILURE: only the status counts
    const { body } = await this.#call('POST', 'prepareWorkflow', transRequestOf(call), callTimeoutMs(call.options, this.#timeoutMs), false);
    return decodeProgresses(body);
  }

  close(): void {
    /* fetch's pool closes idle sockets by itself */
  }

  async #call(method: 'GET' | 'POST', route: string, body: unknown, timeoutMs: number, scanBody = true): Promise<{ status: number; body: string }> {
    const url = `${this.address}/${route}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new DtmTransportError(`${route}: no answer from ${url}: ${describeFetchError(err)}`, url, { cause: err });
    }
    const what = `${route} ${gidOf(body)}`.trim();
    if (res.status === 409 || (scanBody && res.status === 200 && text.includes('FAILURE'))) throw new DtmFailure(withResultSuffix(`${what}: ${text}`, 'FAILURE'));
    if (res.status === 425) throw new DtmOngoing(withResultSuffix(`${what}: ${text}`, 'ONGOING'));
    if (res.status !== 200) throw new DtmRequestError(`${what}: HTTP ${res.status} ${text}`, res.status, undefined, text);
    return { status: res.status, body: text };
  }
}

function gidOf(body: unknown): string {
  const gid = (body as { gid?: unknown } | undefined)?.gid;
  return typeof gid === 'string' ? gid : '';
}

/** fetch reports `fetch failed` with the reason in `cause` (ECONNREFUSED, a timeout, ...). */
export function describeFetchError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** dtm's HTTP API at `url` (e.g. `http://127.0.0.1:36789/api/dtmsvr`). */
export function httpDtm(url: string, options?: DtmServerOptions): DtmServer {
  return new HttpDtmServer(url, options);
}
