/** dtm's default driver split (spec §6.4), for the invoker tests that need no driver registry. */
import { DefaultDriver } from '../../../src/drivers/default-driver.js';
import type { ServerMethod } from '../../../src/invoker/grpc-invoker.js';

const driver = new DefaultDriver();

export function splitServerMethod(uri: string): ServerMethod {
  return driver.parseServerMethod(uri);
}
