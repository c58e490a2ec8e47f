/**
 * Public surface of the config module. Only `resolveConfigFromProcess` touches `process.env`;
 * everything downstream receives the frozen `ResolvedConfig` (STYLE L10).
 */
export { ConfigError, invalidValue } from './config-error.js';
export { CONFIG_DEFAULTS, ConfigSchema, DEFAULT_GRPC_SERVICE_CONFIG, LOG_FORMATS, LOG_LEVELS } from './config-schema.js';
export type { DeepPartial, LogFormat, LogLevel, ResolvedConfig } from './config-schema.js';
export { AUTO_PARTITIONS, embeddedMaxViewChars, KAFKA_MAX_BODY_BYTES, KAFKA_MAX_VIEW_CHARS, REFUSED_STORE_DRIVERS, STORE_DRIVERS } from './store-limits.js';
export type { StoreDriver } from './store-limits.js';
export {
  BOLTDB_ALIAS_NOTICE,
  envNameOf,
  resolveConfig,
  resolveConfigFromProcess,
} from './resolve-config.js';
export { filesStamp, LiveSetting, readSettingFile, readTlsFiles } from './setting-files.js';
export type { TlsFiles } from './setting-files.js';
export { CONFIG_DOCS } from './config-docs.js';
export { configEntries, renderConfigReference, renderSampleConfig } from './config-reference.js';
export type { ConfigEntry } from './config-reference.js';
export type { ResolveConfigInput, ResolvedConfigResult } from './resolve-config.js';
