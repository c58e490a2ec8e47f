/**
 * dtm's default driver split (spec §6.4), local to the tests so they do not depend on the driver
 * registry: split at the first '/', reject URLs without one and URLs with a scheme.
 */
import type { ServerMethod } from '../../../src/invoker/grpc-invoker.js';

export function splitServerMethod(uri: string): ServerMethod {
  const slash = uri.indexOf('/');
  if (slash < 0) throw new Error(`bad url: '${uri}'. no '/' found`);
  if (uri.includes('://')) throw new Error(`call dtmdriver.Use() before you use custom scheme for '${uri}'`);
  return { server: uri.slice(0, slash), method: uri.slice(slash) };
}
