import { describe, expect, it } from 'vitest';
import { ConfigError, envNameOf, resolveConfig } from '../../../src/config/index.js';

/** `MicroService.*`: dtm's keys plus dtx's `DriverModules` (docs/drivers.md). */
describe('MicroService config keys', () => {
  it("defaults to dtm's: default driver, no target, no endpoint, no modules", () => {
    const { config } = resolveConfig({});
    expect(config.MicroService).toEqual({ Driver: 'default', Target: '', EndPoint: '', DriverModules: [] });
    expect(Object.isFrozen(config.MicroService.DriverModules)).toBe(true);
  });

  it("reads dtm's env names and MICRO_SERVICE_DRIVER_MODULES as a comma-separated list", () => {
    expect(envNameOf(['MicroService', 'DriverModules'])).toBe('MICRO_SERVICE_DRIVER_MODULES');
    const { config } = resolveConfig({
      env: {
        MICRO_SERVICE_DRIVER: 'dtm-driver-gozero',
        MICRO_SERVICE_TARGET: 'etcd://127.0.0.1:2379/dtmservice',
        MICRO_SERVICE_END_POINT: '127.0.0.1:36790',
        MICRO_SERVICE_DRIVER_MODULES: ' ./a.js, @acme/dtx-driver ,, ',
      },
    });
    expect(config.MicroService).toEqual({
      Driver: 'dtm-driver-gozero',
      Target: 'etcd://127.0.0.1:2379/dtmservice',
      EndPoint: '127.0.0.1:36790',
      DriverModules: ['./a.js', '@acme/dtx-driver'],
    });
  });

  it('refuses a non-list and blank entries, naming the key', () => {
    const keyOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).key;
      }
      throw new Error('expected a ConfigError');
    };
    expect(keyOf(() => resolveConfig({ overrides: { MicroService: { DriverModules: './a.js' as unknown as string[] } } }))).toBe('MicroService.DriverModules');
    expect(keyOf(() => resolveConfig({ overrides: { MicroService: { DriverModules: [' '] } } }))).toBe('MicroService.DriverModules.0');
  });
});
