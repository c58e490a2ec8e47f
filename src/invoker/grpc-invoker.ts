/**
 * The gRPC branch invoker (spec §6.4, §6.5): generic unary calls through @grpc/grpc-js with
 * identity (de)serialisers, so the payload bytes (already protobuf-encoded by the SDK) travel
 * untouched and the answer bytes are ignored; only the status matters.
 *
 * Contract (port in ./invoker.ts): `call` never rejects for branch-side problems (bad URL, refused
 * target, unreachable server, deadline, any non-OK status → a result with a message naming the
 * URL); it rejects only for programmer errors (non-positive timeout). `postJson` (the alert
 * webhook) is HTTP and not served here: use BranchInvoker, which routes it to the HTTP invoker.
 */
import * as grpc from '@grpc/grpc-js';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { classifyGrpcAnswer } from '../protocol/outcome-table.js';
import { ChannelsClosed, GrpcChannels } from './grpc-channels.js';
import { GuardedCredentials } from './guarded-credentials.js';
import type { BranchCall, BranchOutcome, Invoker } from './invoker.js';

/** A gRPC branch URL split into a dial target and a full method name (`/pkg.Service/Method`). */
export interface ServerMethod {
  readonly server: string;
  readonly method: string;
}

/** A driver's URL splitter (spec §11): throws an Error whose message names the URL when it does not fit. */
export type ParseServerMethod = (uri: string) => ServerMethod;

export interface GrpcInvokerOptions {
  readonly parseServerMethod: ParseServerMethod;
  readonly logger?: Logger;
  /** Service config JSON of every channel (dtm `GrpcServiceConfig`). Default: round robin. */
  readonly serviceConfig?: string;
  /** A channel without calls for this long is closed, ms. Default 60 000. */
  readonly idleCloseMs?: number;
  /** Cap of grpc-js's reconnect backoff, ms: how long a recovered branch may wait. Default 10 000. */
  readonly maxReconnectBackoffMs?: number;
  /** Of every channel (TLS: `Invoker.GrpcTls`, which follows its files); default plaintext, as dtm. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Asked before each call; a returned reason refuses the call (result ERROR with that reason). */
  readonly guard?: (server: string) => Promise<string | undefined>;
  /**
   * The check of each connection of `server`'s channel, on its socket: a returned reason destroys
   * the connection (guarded-credentials.ts). Channels then ignore proxy settings (`grpc_proxy`,
   * `https_proxy`): the socket must reach the branch itself, as HTTP branch calls do.
   */
  readonly connectionGuard?: (server: string) => (socket: Socket) => string | undefined;
  /** Rewrites each dial target before use (IS_DOCKER, spec §6.1). */
  readonly rewriteTarget?: (server: string) => string;
}

export const DEFAULT_GRPC_SERVICE_CONFIG = '{"loadBalancingConfig":[{"round_robin":{}}]}';
const DEFAULT_IDLE_CLOSE_MS = 60_000;
const DEFAULT_MAX_RECONNECT_BACKOFF_MS = 10_000;

const sendAsIs = (payload: Buffer): Buffer => payload;
/** The answer bytes are dropped; the marker must not be null (grpc-js reads null as "no message"). */
const ANSWER_IGNORED: unknown = Object.freeze({});
const ignoreAnswer = (): unknown => ANSWER_IGNORED;

/**
 * dtm's branch metadata (keys lower-case; `dtm-dtm` is empty when the server calls), then the
 * transaction's branch_headers appended as plain pairs. A `-bin` key carries its value's UTF-8
 * bytes. Throws (grpc-js) for a key or value gRPC metadata cannot carry.
 */
export function branchMetadataOf(call: BranchCall): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('dtm-gid', call.gid);
  metadata.set('dtm-trans_type', call.transType);
  metadata.set('dtm-branch_id', call.branchId);
  metadata.set('dtm-op', call.op);
  metadata.set('dtm-dtm', '');
  for (const [name, value] of Object.entries(call.headers)) {
    const key = name.toLowerCase();
    metadata.add(key, key.endsWith('-bin') ? Buffer.from(value, 'utf8') : value);
  }
  return metadata;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class GrpcInvoker implements Invoker {
  readonly #channels: GrpcChannels;
  readonly #parse: ParseServerMethod;
  readonly #logger: Logger | undefined;
  readonly #guard: GrpcInvokerOptions['guard'];
  readonly #rewriteTarget: (server: string) => string;

  constructor(options: GrpcInvokerOptions) {
    const serviceConfig = options.serviceConfig ?? DEFAULT_GRPC_SERVICE_CONFIG;
    JSON.parse(serviceConfig); // a typo fails here, at start, not on every call
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    const connectionGuard = options.connectionGuard;
    this.#channels = new GrpcChannels({
      credentialsFor: connectionGuard === undefined ? () => credentials : (server) => new GuardedCredentials(credentials, connectionGuard(server)),
      channelOptions: {
        ...(connectionGuard === undefined ? {} : { 'grpc.enable_http_proxy': 0 }),
        'grpc.service_config': serviceConfig,
        // as grpc-go (dtm): no DNS TXT lookups for a service config
        'grpc.service_config_disable_resolution': 1,
        'grpc.max_reconnect_backoff_ms': options.maxReconnectBackoffMs ?? DEFAULT_MAX_RECONNECT_BACKOFF_MS,
      },
      idleCloseMs: options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS,
    });
    this.#parse = options.parseServerMethod;
    this.#logger = options.logger;
    this.#guard = options.guard;
    this.#rewriteTarget = options.rewriteTarget ?? ((server) => server);
  }

  async call(call: BranchCall): Promise<BranchOutcome> {
    if (!Number.isFinite(call.timeoutMs) || call.timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive number, got ${call.timeoutMs}`);
    }
    if (call.url === '') return { result: 'SUCCESS', message: '' };
    const started = performance.now();
    const outcome = await this.#call(call);
    this.#logger?.debug(
      { gid: call.gid, branchId: call.branchId, op: call.op, url: call.url, result: outcome.result, ms: Math.round(performance.now() - started) },
      'branch call',
    );
    return outcome;
  }

  /** The alert webhook is HTTP: the gRPC invoker does not post it (BranchInvoker routes it). */
  postJson(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  /** Closes every cached channel; later calls come back as ERROR. */
  close(): Promise<void> {
    this.#channels.close();
    return Promise.resolve();
  }

  /** Number of cached channels (one per server target). */
  get openChannels(): number {
    return this.#channels.size;
  }

  async #call(call: BranchCall): Promise<BranchOutcome> {
    const label = `grpc "${call.url}"`;
    let target: ServerMethod;
    let metadata: grpc.Metadata;
    try {
      target = this.#parse(call.url);
      metadata = branchMetadataOf(call);
    } catch (err) {
      return { result: 'ERROR', message: `${label}: ${errorText(err)}` };
    }
    const server = this.#rewriteTarget(target.server);
    if (this.#guard !== undefined) {
      let refusal: string | undefined;
      try {
        refusal = await this.#guard(server);
      } catch (err) {
        refusal = `outbound guard failed: ${errorText(err)}`;
      }
      if (refusal !== undefined) return { result: 'ERROR', message: `${label}: ${refusal}` };
    }
    if (call.signal?.aborted === true) return { result: 'ERROR', message: `${label}: not started: ${errorText(call.signal.reason)}`, notStarted: true };
    const payload = Buffer.from(call.payload.buffer, call.payload.byteOffset, call.payload.byteLength);
    const deadline = new Date(Date.now() + call.timeoutMs);
    try {
      return await this.#channels.with(server, (client) => new Promise<BranchOutcome>((resolve) => {
        client.makeUnaryRequest(target.method, sendAsIs, ignoreAnswer, payload, metadata, { deadline }, (err) => {
          resolve(err === null ? this.#outcome(label, grpc.status.OK, '') : this.#outcome(label, err.code, err.details));
        });
      }));
    } catch (err) {
      const why = err instanceof ChannelsClosed ? 'invoker is closed' : errorText(err);
      return { result: 'ERROR', message: `${label}: ${why}` };
    }
  }

  /** Status → result via the outcome table; an ERROR message names the URL and the status. */
  #outcome(label: string, code: grpc.status, details: string): BranchOutcome {
    const { result, message } = classifyGrpcAnswer(code, details);
    if (result !== 'ERROR') return { result, message };
    return { result, message: `${label}: ${grpc.status[code] ?? code} (${code}): ${details}` };
  }
}
