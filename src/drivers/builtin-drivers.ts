/**
 * The drivers every dtx process knows by dtm's names (spec §11). Third-party drivers join them
 * through `registerDriver` or `MicroService.DriverModules` (docs/drivers.md).
 */
import type { Driver } from './driver.js';
import { DefaultDriver } from './default-driver.js';
import { GoZeroDriver } from './gozero-driver.js';
import { KratosDriver } from './kratos-driver.js';
import { PolarisDriver } from './polaris-driver.js';
import { Protocol1Driver } from './protocol1-driver.js';

/** Fresh instances of the built-ins: default, protocol1 (the template), go-zero, kratos, polaris. */
export function createBuiltinDrivers(): Driver[] {
  return [new DefaultDriver(), new Protocol1Driver(), new GoZeroDriver(), new KratosDriver(), new PolarisDriver()];
}
