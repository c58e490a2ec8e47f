/**
 * TEMPORARY: dtm's default driver split of a gRPC branch URL (spec §6.4, §11), used until the
 * driver registry (src/drivers/) provides `parseServerMethod`; main.ts then takes the selected
 * driver's instead, and this module goes.
 */
import type { ServerMethod } from './grpc-invoker.js';

/**
 * `host:port/pkg.Service/Method` → server `host:port`, method `/pkg.Service/Method` (split at the
 * first '/'). A URL with a scheme (`etcd://...`) needs a driver, as in dtm.
 */
export function defaultParseServerMethod(uri: string): ServerMethod {
  const slash = uri.indexOf('/');
  if (slash < 0) throw new Error(`bad url: '${uri}'. no '/' found`);
  if (uri.includes('://')) throw new Error(`call dtmdriver.Use() before you use custom scheme for '${uri}'`);
  return { server: uri.slice(0, slash), method: uri.slice(slash) };
}
