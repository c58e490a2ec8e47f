/**
 * The process-wide driver registry (spec §11, dtm's `dtmdriver.Register/Use/GetDriver`).
 * Drivers register by name (the built-ins on load, others through `registerDriver` in the public
 * API or a `MicroService.DriverModules` module); one is selected with `useDriver`, which calls its
 * `registerGrpcResolver` once. As in dtm, a process selects at most one driver.
 */
import type { Driver } from './driver.js';
import { DriverError } from './driver.js';
import { DEFAULT_DRIVER_NAME, DefaultDriver } from './default-driver.js';
import { GoZeroDriver } from './gozero-driver.js';
import { KratosDriver } from './kratos-driver.js';
import { PolarisDriver } from './polaris-driver.js';
import { Protocol1Driver } from './protocol1-driver.js';

const drivers = new Map<string, Driver>();
let current: Driver | undefined;

/** The built-ins, by dtm's names: default, protocol1 (the template), go-zero, kratos, polaris. */
for (const d of [new DefaultDriver(), new Protocol1Driver(), new GoZeroDriver(), new KratosDriver(), new PolarisDriver()]) drivers.set(d.name, d);

const METHODS = ['registerGrpcResolver', 'registerGrpcService', 'parseServerMethod', 'close'] as const;

/**
 * Adds `driver` under `driver.name`, replacing one of the same name (as dtm's map does). Throws
 * a `TypeError` when the object does not implement the `Driver` interface (modules are untyped).
 */
export function registerDriver(driver: Driver): void {
  const candidate = driver as unknown as Partial<Record<string, unknown>> | null | undefined;
  if (typeof candidate !== 'object' || candidate === null) throw new TypeError('registerDriver: a driver must be an object implementing Driver');
  if (typeof candidate['name'] !== 'string' || candidate['name'] === '') throw new TypeError('registerDriver: driver.name must be a non-empty string');
  const missing = METHODS.filter((m) => typeof candidate[m] !== 'function');
  if (missing.length > 0) throw new TypeError(`registerDriver: driver '${candidate['name']}' lacks ${missing.join(', ')}`);
  drivers.set(driver.name, driver);
}

/**
 * Selects the driver named `name` and, the first time, calls its `registerGrpcResolver` (if that
 * throws, nothing is selected). dtm's errors: `no dtm driver with name: <n> has been registered`;
 * selecting a different driver after one was selected is refused.
 */
export function useDriver(name: string): Driver {
  const driver = drivers.get(name);
  if (driver === undefined) throw new DriverError(`no dtm driver with name: ${name} has been registered`);
  if (current !== undefined && current !== driver) {
    throw new DriverError(`use has been called previously with name: ${current.name} different from: ${name}`);
  }
  if (current === undefined) {
    driver.registerGrpcResolver();
    current = driver;
  }
  return driver;
}

/** The selected driver, else `default` (dtm's `GetDriver`). */
export function currentDriver(): Driver {
  return current ?? (drivers.get(DEFAULT_DRIVER_NAME) as Driver);
}

/** Names of the registered drivers, sorted (for messages and docs). */
export function registeredDriverNames(): string[] {
  return [...drivers.keys()].sort();
}
