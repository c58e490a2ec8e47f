import { describe, expect, it } from 'vitest';
import type { Driver } from '../../../src/drivers/driver.js';
import { currentDriver, registerDriver, registeredDriverNames, useDriver } from '../../../src/drivers/driver-registry.js';

/** dtm's dtmdriver registry semantics (spec §11). Order matters: a process selects one driver. */

function countingDriver(name: string): Driver & { resolverCalls: number } {
  return {
    name,
    resolverCalls: 0,
    registerGrpcResolver() {
      this.resolverCalls += 1;
    },
    registerGrpcService: () => Promise.resolve(),
    parseServerMethod: (uri: string) => ({ server: name, method: uri }),
    close: () => Promise.resolve(),
  };
}

describe('driver registry', () => {
  it('knows the built-ins by their dtm names', () => {
    expect(registeredDriverNames()).toEqual(expect.arrayContaining(['default', 'dtm-driver-gozero', 'dtm-driver-kratos', 'dtm-driver-polaris', 'dtm-driver-protocol1']));
  });

  it('answers with the default driver before any selection', () => {
    expect(currentDriver().name).toBe('default');
    expect(currentDriver().parseServerMethod('h:1/a.B/C')).toEqual({ server: 'h:1', method: '/a.B/C' });
  });

  it("refuses an unknown name with dtm's message", () => {
    expect(() => useDriver('nope')).toThrow('no dtm driver with name: nope has been registered');
  });

  it('refuses objects that are not drivers, naming what is missing', () => {
    expect(() => registerDriver({ name: 'half', registerGrpcResolver() {} } as unknown as Driver)).toThrow("driver 'half' lacks registerGrpcService, parseServerMethod, close");
    expect(() => registerDriver({ name: '' } as unknown as Driver)).toThrow('driver.name must be a non-empty string');
    expect(() => registerDriver(undefined as unknown as Driver)).toThrow(TypeError);
  });

  it('a driver whose resolver registration throws is not selected', () => {
    const broken: Driver = { ...countingDriver('broken'), registerGrpcResolver: () => { throw new Error('no registry client'); } };
    registerDriver(broken);
    expect(() => useDriver('broken')).toThrow('no registry client');
    expect(currentDriver().name).toBe('default');
  });

  it('selects once, registers resolvers once, and refuses a second, different driver', () => {
    const mine = countingDriver('mine');
    registerDriver(mine);
    registerDriver(countingDriver('other'));
    expect(useDriver('mine')).toBe(mine);
    expect(useDriver('mine')).toBe(mine);
    expect(mine.resolverCalls).toBe(1);
    expect(currentDriver()).toBe(mine);
    expect(() => useDriver('other')).toThrow('use has been called previously with name: mine different from: other');
  });
});
