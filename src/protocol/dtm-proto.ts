/**
 * dtm's public gRPC API (proto/dtmgimp.proto, spec §10) and the workflow callback service
 * (proto/workflow.proto), loaded once with @grpc/proto-loader. For the gRPC ingress (service
 * definition + typed handlers), its tests (client constructor) and anything that must encode or
 * decode dtm's messages (typed codecs). Decoded shapes follow PROTO_LOADER_OPTIONS (proto-files.ts).
 */
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { loadProtoFiles, messageOf, serviceOf } from './proto-files.js';

export interface DtmTransOptions {
  readonly WaitResult: boolean;
  readonly TimeoutToFail: number;
  readonly RetryInterval: number;
  readonly BranchHeaders: Readonly<Record<string, string>>;
  readonly RequestTimeout: number;
  readonly RetryLimit: number;
}

export interface DtmRequest {
  readonly Gid: string;
  readonly TransType: string;
  /** null when the client sent none (dtm then uses zero options). */
  readonly TransOptions: DtmTransOptions | null;
  readonly CustomedData: string;
  readonly BinPayloads: readonly Buffer[];
  readonly QueryPrepared: string;
  readonly Steps: string;
  readonly ReqExtra: Readonly<Record<string, string>>;
  readonly RollbackReason: string;
}

export interface DtmGidReply {
  readonly Gid: string;
}

export interface DtmBranchRequest {
  readonly Gid: string;
  readonly TransType: string;
  readonly BranchID: string;
  readonly Op: string;
  readonly Data: Readonly<Record<string, string>>;
  readonly BusiPayload: Buffer;
}

export interface DtmTransaction {
  readonly Gid: string;
  readonly Status: string;
  readonly RollbackReason: string;
  readonly Result: string;
}

export interface DtmProgress {
  readonly Status: string;
  readonly BinData: Buffer;
  readonly BranchID: string;
  readonly Op: string;
}

export interface DtmProgressesReply {
  readonly Transaction: DtmTransaction | null;
  readonly Progresses: readonly DtmProgress[];
}

export interface DtmTopicRequest {
  readonly Topic: string;
  readonly URL: string;
  readonly Remark: string;
}

export interface WorkflowData {
  readonly Data: Buffer;
}

export type Empty = Record<string, never>;

/** What `encode` accepts: any subset of the fields; bytes as any Uint8Array; absent = zero value. */
export type MessageInit<T> = { readonly [K in keyof T]?: FieldInit<T[K]> };
type FieldInit<V> = V extends Uint8Array
  ? Uint8Array
  : V extends readonly (infer E)[]
    ? readonly FieldInit<E>[]
    : V extends object
      ? MessageInit<V>
      : V;

/** Protobuf wire codec of one message type. `decode` throws on malformed bytes. */
export interface MessageCodec<T> {
  encode(message: MessageInit<T>): Buffer;
  decode(bytes: Uint8Array): T;
}

/** Handlers for `server.addService(dtmProto().dtmService, handlers)`, keyed by the proto's RPC names. */
export interface DtmServiceHandlers extends grpc.UntypedServiceImplementation {
  NewGid: grpc.handleUnaryCall<Empty, MessageInit<DtmGidReply>>;
  Submit: grpc.handleUnaryCall<DtmRequest, Empty>;
  Prepare: grpc.handleUnaryCall<DtmRequest, Empty>;
  Abort: grpc.handleUnaryCall<DtmRequest, Empty>;
  RegisterBranch: grpc.handleUnaryCall<DtmBranchRequest, Empty>;
  PrepareWorkflow: grpc.handleUnaryCall<DtmRequest, MessageInit<DtmProgressesReply>>;
  Subscribe: grpc.handleUnaryCall<DtmTopicRequest, Empty>;
  Unsubscribe: grpc.handleUnaryCall<DtmTopicRequest, Empty>;
  DeleteTopic: grpc.handleUnaryCall<DtmTopicRequest, Empty>;
}

/** The full name of dtm's gRPC service: method paths `/dtmgimp.Dtm/<Rpc>`. */
export const DTM_SERVICE = 'dtmgimp.Dtm';

export interface DtmProto {
  /** `dtmgimp.Dtm`: method paths `/dtmgimp.Dtm/<Rpc>`. */
  readonly dtmService: grpc.ServiceDefinition;
  /** `workflow.Workflow` (`/workflow.Workflow/Execute`), served by client applications. */
  readonly workflowService: grpc.ServiceDefinition;
  /** Client constructors (methods by RPC name, e.g. `client.Submit(request, callback)`). */
  readonly DtmClient: grpc.ServiceClientConstructor;
  readonly WorkflowClient: grpc.ServiceClientConstructor;
  readonly messages: {
    readonly Empty: MessageCodec<Empty>;
    readonly DtmTransOptions: MessageCodec<DtmTransOptions>;
    readonly DtmRequest: MessageCodec<DtmRequest>;
    readonly DtmGidReply: MessageCodec<DtmGidReply>;
    readonly DtmBranchRequest: MessageCodec<DtmBranchRequest>;
    readonly DtmProgressesReply: MessageCodec<DtmProgressesReply>;
    readonly DtmTransaction: MessageCodec<DtmTransaction>;
    readonly DtmProgress: MessageCodec<DtmProgress>;
    readonly DtmTopicRequest: MessageCodec<DtmTopicRequest>;
    readonly WorkflowData: MessageCodec<WorkflowData>;
  };
}

function codecOf<T>(definition: PackageDefinition, fullName: string): MessageCodec<T> {
  const type = messageOf<MessageInit<T>, T>(definition, fullName);
  return Object.freeze({
    encode: (message: MessageInit<T>): Buffer => type.serialize(message),
    decode: (bytes: Uint8Array): T => type.deserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  });
}

function load(): DtmProto {
  const definition = loadProtoFiles(['dtmgimp.proto', 'workflow.proto']);
  const dtmService = serviceOf(definition, DTM_SERVICE) as grpc.ServiceDefinition;
  const workflowService = serviceOf(definition, 'workflow.Workflow') as grpc.ServiceDefinition;
  const d = (name: string): string => `dtmgimp.${name}`;
  return Object.freeze({
    dtmService,
    workflowService,
    DtmClient: grpc.makeGenericClientConstructor(dtmService, 'Dtm'),
    WorkflowClient: grpc.makeGenericClientConstructor(workflowService, 'Workflow'),
    messages: Object.freeze({
      Empty: codecOf<Empty>(definition, 'google.protobuf.Empty'),
      DtmTransOptions: codecOf<DtmTransOptions>(definition, d('DtmTransOptions')),
      DtmRequest: codecOf<DtmRequest>(definition, d('DtmRequest')),
      DtmGidReply: codecOf<DtmGidReply>(definition, d('DtmGidReply')),
      DtmBranchRequest: codecOf<DtmBranchRequest>(definition, d('DtmBranchRequest')),
      DtmProgressesReply: codecOf<DtmProgressesReply>(definition, d('DtmProgressesReply')),
      DtmTransaction: codecOf<DtmTransaction>(definition, d('DtmTransaction')),
      DtmProgress: codecOf<DtmProgress>(definition, d('DtmProgress')),
      DtmTopicRequest: codecOf<DtmTopicRequest>(definition, d('DtmTopicRequest')),
      WorkflowData: codecOf<WorkflowData>(definition, 'workflow.WorkflowData'),
    }),
  });
}

let loaded: DtmProto | undefined;

/** The loaded protos; the files are read on the first call only. Throws if proto/ is missing. */
export function dtmProto(): DtmProto {
  loaded ??= load();
  return loaded;
}
