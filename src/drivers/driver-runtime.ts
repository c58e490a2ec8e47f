/**
 * The driver side of a running dtx (spec §11 "server usage"): load `MicroService.DriverModules`,
 * select `MicroService.Driver` (its resolvers are registered then), split gRPC branch URLs with
 * it, register dtx under `MicroService.Target` once its gRPC ingress listens, withdraw on stop.
 * Configuration mistakes surface as `ConfigError` naming the key, so `dtx serve` exits 2.
 */
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import { invalidValue } from '../config/config-error.js';
import { resolveModuleFile } from '../extensions/trans-type-loader.js';
import type { Driver, ServerMethod } from './driver.js';
import { DriverEndpointError, DriverTargetError, DriverUnavailable } from './driver.js';
import { registerDriver, registeredDriverNames, useDriver } from './driver-registry.js';

export interface DriverRuntime {
  /** The selected driver. */
  readonly driver: Driver;
  /** The selected driver's split of a gRPC branch URL (throws naming the URL). */
  parseServerMethod(uri: string): ServerMethod;
  /**
   * Registers dtx under `MicroService.Target` with `MicroService.EndPoint`, or with
   * `listening` (host:port of the gRPC ingress) when EndPoint is ''. No-op for an empty Target.
   * Rejects with `ConfigError` naming MicroService.Target or MicroService.EndPoint when the
   * driver refuses them, with an Error naming the driver when the registry cannot be reached.
   */
  register(listening?: string): Promise<void>;
  /** Withdraws registrations and stops watches; never rejects. */
  close(): Promise<void>;
}

/** Loads driver modules and selects the configured driver; rejects with `ConfigError` naming the key. */
export async function startDrivers(config: ResolvedConfig, logger: Logger, cwd: string = process.cwd()): Promise<DriverRuntime> {
  const { Driver: name, Target: target, EndPoint: endPoint, DriverModules: modules } = config.MicroService;
  const log = logger.child({ component: 'drivers' });
  for (const specifier of modules) {
    const file = await loadDriverModule(specifier, cwd);
    log.info({ module: specifier, file }, 'driver module loaded');
  }
  let driver: Driver;
  try {
    driver = useDriver(name);
  } catch (err) {
    const reason = err instanceof DriverUnavailable ? err.message : `${messageOf(err)} (registered: ${registeredDriverNames().join(', ')})`;
    throw invalidValue('MicroService.Driver', name, reason);
  }
  log.info({ driver: driver.name, target }, 'microservice driver selected');
  return {
    driver,
    parseServerMethod: (uri) => driver.parseServerMethod(uri),
    async register(listening?: string) {
      const endpoint = endPoint !== '' ? endPoint : (listening ?? '');
      try {
        await driver.registerGrpcService(target, endpoint);
      } catch (err) {
        if (err instanceof DriverTargetError) throw invalidValue('MicroService.Target', target, err.message);
        if (err instanceof DriverEndpointError) throw invalidValue('MicroService.EndPoint', endPoint, err.message);
        throw new Error(`${driver.name}: registering ${endpoint} under MicroService.Target ${target} failed: ${messageOf(err)}`, { cause: err });
      }
      if (target !== '') log.info({ driver: driver.name, target, endpoint }, 'dtx registered');
    },
    async close() {
      await driver.close().catch((err: unknown) => log.warn({ err }, 'driver close failed'));
    },
  };
}

/**
 * Imports one `MicroService.DriverModules` entry. The module registers its driver(s) with
 * `registerDriver`, or exports one as `driver` or default, which is registered here (a module
 * that imports a different copy of dtx reaches a different registry, so exporting is safer).
 */
async function loadDriverModule(specifier: string, cwd: string): Promise<string> {
  const refuse = (why: string) => new ConfigError('MicroService.DriverModules', `driver module '${specifier}' (MicroService.DriverModules) ${why}`);
  let file: string;
  try {
    file = resolveModuleFile(specifier, cwd);
  } catch (err) {
    throw refuse(`cannot be resolved from ${cwd}: ${messageOf(err)}`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw refuse(`cannot be imported: ${messageOf(err)}`);
  }
  const exported = mod['driver'] ?? mod['default'];
  if (exported !== undefined) {
    try {
      registerDriver(exported as Driver);
    } catch (err) {
      throw refuse(`exports a driver that is not one: ${messageOf(err)}`);
    }
  }
  return file;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
