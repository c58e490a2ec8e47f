import { existsSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * dtm's protos as this package ships them (`proto/dtmgimp.proto`, `proto/workflow.proto`: copies of
 * the dtx repository's, checked byte for byte by a test), loaded once with @grpc/proto-loader:
 * field names as written, int64 as numbers, defaults filled in, bytes as Buffers.
 */
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, arrays: true, objects: true, oneofs: false };

/** The `proto/` folder: next to `src/` in the sources, two levels above `dist/src/transport` in the build. */
function protoDir(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 4; i += 1) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, 'dtmgimp.proto'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`dtx-client: proto/dtmgimp.proto not found above ${import.meta.dirname} (the package is incomplete)`);
}

let loaded: grpc.GrpcObject | undefined;

function load(): grpc.GrpcObject {
  if (loaded) return loaded;
  const dir = protoDir();
  const def = protoLoader.loadSync([path.join(dir, 'dtmgimp.proto'), path.join(dir, 'workflow.proto')], { ...LOADER_OPTIONS, includeDirs: [dir] });
  loaded = grpc.loadPackageDefinition(def);
  return loaded;
}

type ServiceCtor = grpc.ServiceClientConstructor;

/** The `dtmgimp.Dtm` client constructor. */
export function dtmServiceClient(): ServiceCtor {
  return (load().dtmgimp as grpc.GrpcObject).Dtm as ServiceCtor;
}

/** The `workflow.Workflow` service (the resume callback a gRPC workflow application serves). */
export function workflowService(): grpc.ServiceDefinition {
  return ((load().workflow as grpc.GrpcObject).Workflow as ServiceCtor).service;
}
