import type { ConfigTree } from './config-layers.js';
import { CONFIG_DEFAULTS } from './config-schema.js';

/**
 * dtm keys dtx accepts (so dtm config files load) but that change nothing in dtx, each with the
 * reason. A value other than the default is reported at start: nothing a user configures is
 * silently ignored.
 */
const SQL_OR_REDIS = "dtx's log is the embedded SQLite or Kafka, never a SQL or Redis store";
export const UNUSED_KEYS: ReadonlyArray<readonly [path: string, reason: string]> = [
  ...['Host', 'Port', 'User', 'Password', 'Db', 'Schema', 'MaxOpenConns', 'MaxIdleConns', 'ConnMaxLifeTime', 'RedisPrefix'].map((k) => [`Store.${k}`, SQL_OR_REDIS] as const),
  ['Store.DataExpire', 'dtx keeps every event (the audit log) until Store.PruneFinishedAfter (while running) or `dtx prune` (offline) deletes old finished transactions (embedded log); finished transactions leave memory at once'],
  ['Store.FinishedDataExpire', 'dtx keeps every event (the audit log) until Store.PruneFinishedAfter (while running) or `dtx prune` (offline) deletes old finished transactions (embedded log); finished transactions leave memory at once'],
  ['TransCronInterval', 'dtx schedules each transaction on a timer wheel instead of polling'],
  ['JsonRpcPort', 'JSON-RPC is served at /api/json-rpc on HttpPort, as dtm does'],
  ['HttpMicroService.Driver', 'dtm reads it only in its SDKs, not in the server'],
  ['HttpMicroService.RegistryType', 'dtm reads it only in its SDKs, not in the server'],
  ['HttpMicroService.RegistryAddress', 'dtm reads it only in its SDKs, not in the server'],
  ['HttpMicroService.RegistryOptions', 'dtm reads it only in its SDKs, not in the server'],
  ['HttpMicroService.Target', 'dtm reads it only in its SDKs, not in the server'],
  ['HttpMicroService.EndPoint', 'dtm reads it only in its SDKs, not in the server'],
  ['UpdateBranchSync', 'every event is written in the group commit of its command'],
  ['UpdateBranchAsyncGoroutineNum', 'every event is written in the group commit of its command'],
  ['Log.RotationEnable', 'log rotation is left to the process manager or a log shipper'],
  ['Log.RotationConfigJSON', 'log rotation is left to the process manager or a log shipper'],
  ['TimeZoneOffset', 'dtx writes times in UTC (RFC 3339)'],
  ['ConfigUpdateInterval', 'dtx has no store-polled config to refresh'],
];

function at(tree: unknown, path: string): unknown {
  let node = tree;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

/** Notices for the unused keys set to something other than their default. */
export function unusedKeyNotices(merged: ConfigTree): string[] {
  return UNUSED_KEYS.filter(([path]) => JSON.stringify(at(merged, path)) !== JSON.stringify(at(CONFIG_DEFAULTS, path))).map(
    ([path, reason]) => `${path} is accepted for dtm compatibility and has no effect in dtx: ${reason}`,
  );
}
