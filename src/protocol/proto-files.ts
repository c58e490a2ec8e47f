/**
 * Loads the project's `.proto` files (folder `proto/` at the package root) with @grpc/proto-loader.
 * Every proto in dtx is loaded through here, with one set of options, so decoded messages look the
 * same everywhere: field names as written in the proto, int64 as JS numbers, absent scalars as their
 * zero value, absent messages as null, repeated fields as arrays and maps as plain objects.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';

/**
 * int64 → number: the int64 fields of dtm's API are seconds and counts; a value beyond 2^53 loses
 * precision but stays far outside every bound the ingress accepts, so it is still refused.
 */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: false,
});

/** Folders that may hold `proto/`: the sources run from src/protocol, the build from dist/src/protocol. */
const SEARCH_DEPTH = 4;

/** Absolute path of the `proto/` folder that holds `fileName`; throws naming the file when none does. */
export function protoDir(fileName: string): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < SEARCH_DEPTH; i += 1) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, fileName))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`proto file '${fileName}' not found in a proto/ folder above ${import.meta.dirname}`);
}

/**
 * Loads proto files by name (e.g. `dtmgimp.proto`) from the package's `proto/` folder. Imports of
 * google/protobuf/*.proto (Empty, ...) resolve to the well-known types proto-loader ships with.
 */
export function loadProtoFiles(fileNames: readonly string[]): protoLoader.PackageDefinition {
  const [first] = fileNames;
  if (first === undefined) throw new RangeError('loadProtoFiles: no file named');
  return protoLoader.loadSync([...fileNames], { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir(first)] });
}

const MESSAGE_FORMAT = 'Protocol Buffer 3 DescriptorProto';

/** Message and enum definitions carry a `format` string; a service's entries are method objects. */
function isMessageOrEnum(d: protoLoader.AnyDefinition): d is protoLoader.MessageTypeDefinition<object, object> | protoLoader.EnumTypeDefinition {
  return typeof d.format === 'string';
}

/** The service `fullName` (e.g. `dtmgimp.Dtm`) of a loaded package definition. */
export function serviceOf(definition: protoLoader.PackageDefinition, fullName: string): protoLoader.ServiceDefinition {
  const found = definition[fullName];
  if (found === undefined || isMessageOrEnum(found)) throw new Error(`no service ${fullName} in the loaded protos`);
  return found as protoLoader.ServiceDefinition;
}

/** The message type `fullName` (e.g. `dtmgimp.DtmRequest`): its `serialize` / `deserialize` codec. */
export function messageOf<In, Out>(definition: protoLoader.PackageDefinition, fullName: string): protoLoader.MessageTypeDefinition<In, Out> {
  const found = definition[fullName];
  if (found === undefined || !isMessageOrEnum(found) || found.format !== MESSAGE_FORMAT) throw new Error(`no message ${fullName} in the loaded protos`);
  return found as unknown as protoLoader.MessageTypeDefinition<In, Out>;
}

/** One method of a loaded service, by its RPC name; throws naming it when absent. */
export function methodOf<Req, Res>(service: protoLoader.ServiceDefinition, name: string): protoLoader.MethodDefinition<Req, Res> {
  const method = service[name];
  if (method === undefined) throw new Error(`no method ${name} in the loaded service`);
  return method as unknown as protoLoader.MethodDefinition<Req, Res>;
}
