/**
 * The microservice driver contract (spec §11; dtm's `dtmdriver` interface, in TypeScript).
 *
 * A driver adapts dtx to one service framework's registry: it teaches @grpc/grpc-js the
 * framework's target schemes (`etcd://`, `discovery:///`, ...), registers dtx itself in the
 * registry so the framework's clients find it, and splits a gRPC branch URL into the target to
 * dial and the full method name to invoke. Exactly one driver is selected per process
 * (`MicroService.Driver`, default `default`); see driver-registry.ts and docs/drivers.md.
 */

/** A gRPC branch URL split for a call: `server` is a @grpc/grpc-js target, `method` `/pkg.Svc/Method`. */
export interface ServerMethod {
  readonly server: string;
  readonly method: string;
}

export interface Driver {
  readonly name: string;
  /** registers grpc-js resolver schemes (grpc.experimental.registerResolver) and any HTTP middleware; called once when selected */
  registerGrpcResolver(): void;
  /** registers dtx itself (endpoint host:port of its gRPC ingress) under `target` in the registry; '' target = no-op */
  registerGrpcService(target: string, endpoint: string): Promise<void>;
  /** splits a gRPC branch URL into a dial target and a full method name; throws naming the URL */
  parseServerMethod(uri: string): ServerMethod;
  /** withdraws registrations and stops watches (shutdown) */
  close(): Promise<void>;
}

/**
 * What a driver throws for a URL or target it cannot use, or an operation that failed (a
 * registry that cannot be reached). The message always names the URL or target.
 */
export class DriverError extends Error {
  override name = 'DriverError';
}

/**
 * `registerGrpcService` was given a target this driver cannot register into (unknown scheme,
 * missing service name). dtx reports it as a configuration error naming `MicroService.Target`.
 */
export class DriverTargetError extends DriverError {
  override name = 'DriverTargetError';
}

/**
 * `registerGrpcService` was given an endpoint this driver cannot register (none, for a driver
 * whose registry needs an address). dtx reports it as a configuration error naming
 * `MicroService.EndPoint`.
 */
export class DriverEndpointError extends DriverError {
  override name = 'DriverEndpointError';
}

/**
 * The driver cannot work in this process at all (`registerGrpcResolver` refuses, e.g. a registry
 * dtx has no client for). dtx reports it as a configuration error naming `MicroService.Driver`.
 */
export class DriverUnavailable extends DriverError {
  override name = 'DriverUnavailable';
}
