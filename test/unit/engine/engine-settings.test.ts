import { describe, expect, it } from 'vitest';
import { AUTO_PARTITIONS } from '../../../src/config/index.js';
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
