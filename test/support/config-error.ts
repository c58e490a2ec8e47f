import { expect } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

/** Runs `fn`, expects a ConfigError and returns it for further assertions. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
