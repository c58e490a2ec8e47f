/**
 * dtx's internal gRPC service between Kafka workers (proto/internal.proto, loaded with
 * proto-loader): `Replies` (owner → ingress) and `Commands` (ingress → owner). Its messages carry
 * UTF-8 JSON arrays; this module holds the definitions, their decoding and the one server.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadProtoFiles, methodOf, serviceOf } from '../protocol/proto-files.js';
import { authInterceptor } from '../ingress/grpc/grpc-interceptors.js';
import { TOPIC_MAX_MESSAGE_BYTES } from '../log/kafka/message-chunks.js';
import type { TlsReloader } from '../tls/tls-reloader.js';

/** `dtx.internal.ReplyBatch`: UTF-8 JSON of AddressedReply[], and the owner that decided them. */
export interface ReplyBatch {
  readonly json: Buffer;
  /** the sender's internal address on `Replies/Deliver`; '' on `Commands/Exchange` */
  readonly owner: string;
}

/** `dtx.internal.CommandBatch`: UTF-8 JSON of DirectCommand[]. */
export interface CommandBatch {
  readonly json: Buffer;
}

const PROTO = loadProtoFiles(['internal.proto']);
export const REPLIES = serviceOf(PROTO, 'dtx.internal.Replies');
export const COMMANDS = serviceOf(PROTO, 'dtx.internal.Commands');
export const DELIVER = methodOf<ReplyBatch, Record<string, never>>(REPLIES, 'Deliver');
export const EXCHANGE = methodOf<CommandBatch, ReplyBatch>(COMMANDS, 'Exchange');

/** One service of the internal server and its handlers. */
export interface InternalService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

/**
 * The JSON array a batch carries. Throws (the peer speaks another version) when it is not an array
 * or holds more than `max` entries: a sender flushes once per event-loop turn, far below the bound.
 */
export function jsonArrayOf(json: Buffer, max: number): unknown[] {
  const value: unknown = JSON.parse(json.toString('utf8'));
  if (!Array.isArray(value)) throw new TypeError('json is not a JSON array');
  if (value.length > max) throw new RangeError(`json holds ${value.length} entries, more than ${max}`);
  return value;
}

/** A non-empty string of at most `max` characters, or undefined. */
export function boundedText(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/**
 * Message size of the internal service, both ways: one command (a request of up to
 * `HttpMaxBodyBytes`, JSON-escaped) or one reply can pass grpc-js's default of 4 MiB; a forwarded
 * 1 MiB payload of control characters made an 11 MB batch, and the stream was closed. As large as
 * a record batch of the topics, which carry the same commands.
 */
export const INTERNAL_CHANNEL_OPTIONS = { 'grpc.max_receive_message_length': TOPIC_MAX_MESSAGE_BYTES } as const;

/**
 * Serves `services` on `host:port` (0 = any free port). Resolves with the bound port. With
 * `Auth.Tokens` set, every call needs one of them (`authorization: Bearer`), as on the public gRPC
 * port: the service accepts commands, and it listens on `HttpHost` like the API. A connection has
 * at most `maxConcurrentStreams` calls open (`GrpcMaxConcurrentStreams`, as on the API's port).
 * `credentials`: plaintext unless `InternalTls` is set (`internalCredentialsOf`).
 */
export async function startInternalServer(
  services: readonly InternalService[],
  host: string,
  port: number,
  tokens: readonly string[],
  maxConcurrentStreams: number,
  logger: Logger,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server({ ...INTERNAL_CHANNEL_OPTIONS, 'grpc.max_concurrent_streams': maxConcurrentStreams, ...(tokens.length > 0 ? { interceptors: [authInterceptor(tokens)] } : {}) });
  for (const s of services) server.addService(s.definition, s.implementation);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  logger.info({ port: bound }, 'internal service listening');
  return {
    port: bound,
    // A peer may open a stream after the owner closed its streams: it is cut after a grace time.
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), STOP_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** How long `stop` waits for open calls before it cuts them. */
const STOP_GRACE_MS = 2000;

/** The metadata of a call to another worker's internal service: the first of `Auth.Tokens`, if any. */
export function internalMetadata(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Both ends of the internal service: what this worker serves with and what it calls the others with. */
export interface InternalCredentials {
  readonly server: grpc.ServerCredentials;
  readonly peers: grpc.ChannelCredentials;
}

/**
 * `InternalTls` set: mutual TLS. The server requires a client certificate signed by `CaFile`, and
 * this worker presents its own certificate to the others and trusts only servers `CaFile` signed
 * (for the host it dials: InternalAdvertise's); both follow the files (`tls`, a TlsReloader: a
 * renewed certificate or CA is used for new connections without a restart). Unset: plaintext both ways.
 */
export function internalCredentialsOf(tls: TlsReloader | undefined): InternalCredentials {
  if (tls === undefined) return { server: grpc.ServerCredentials.createInsecure(), peers: grpc.credentials.createInsecure() };
  return { server: tls.serverCredentials(), peers: tls.channelCredentials() };
}
