import { describe, expect, it } from 'vitest';
import { AUTO_PARTITIONS, KAFKA_MAX_VIEW_CHARS } from '../../../src/config/index.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { engineSettingsOf } from '../../../src/engine/engine-settings.js';

describe('engineSettingsOf: partitions', () => {
  it('the automatic default (0) runs AUTO_PARTITIONS.sqlite processors', () => {
    const { config } = resolveConfig({ env: {} });
    expect(config.Store.Partitions).toBe(0);
    expect(engineSettingsOf(config).partitions).toBe(AUTO_PARTITIONS.sqlite);
  });

  it('a set count is used as is; the count a Kafka log settled on wins over both', () => {
    const { config } = resolveConfig({ env: { STORE_PARTITIONS: '6' } });
    expect(engineSettingsOf(config).partitions).toBe(6);
    expect(engineSettingsOf(config, 3).partitions).toBe(3);
    expect(engineSettingsOf(resolveConfig({ env: {} }).config, 3).partitions).toBe(3);
  });
});

describe('engineSettingsOf: views', () => {
  it('bounds a transaction\'s view: KAFKA_MAX_VIEW_CHARS with kafka (its events repeat it in a record header), 16 per body byte else', () => {
    expect(engineSettingsOf(resolveConfig({ env: { STORE_DRIVER: 'kafka' } }).config).maxViewChars).toBe(KAFKA_MAX_VIEW_CHARS);
    expect(engineSettingsOf(resolveConfig({ env: {} }).config).maxViewChars).toBe(16 * 2 ** 20);
    expect(engineSettingsOf(resolveConfig({ env: { HTTP_MAX_BODY_BYTES: String(4 * 2 ** 20) } }).config).maxViewChars).toBe(64 * 2 ** 20);
    expect(engineSettingsOf(resolveConfig({ env: { HTTP_MAX_BODY_BYTES: String(256 * 2 ** 20) } }).config).maxViewChars).toBe(480 * 2 ** 20);
  });
});
