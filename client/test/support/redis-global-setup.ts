import { startLocalService } from './local-service-setup.js';

/** Port of the test Redis (scripts/redis-local.sh): below the ephemeral range, not Redis's 6379. */
export const TEST_REDIS_PORT = 26379;
/** `host:port` of the Redis the client tests use. */
export const TEST_REDIS = process.env.DTX_TEST_REDIS ? process.env.DTX_TEST_REDIS : `127.0.0.1:${TEST_REDIS_PORT}`;

/**
 * vitest globalSetup of the `client` project: starts the private Redis of scripts/redis-local.sh
 * (installed with apt-get when missing) and stops it afterwards if this setup started it.
 * DTX_TEST_REDIS=host:port uses an external server instead.
 */
export default function setup(): (() => void) | undefined {
  if (process.env.DTX_TEST_REDIS) return undefined;
  return startLocalService('redis-local.sh', { REDIS_PORT: String(TEST_REDIS_PORT) }, 'Set DTX_TEST_REDIS=host:port to use an external Redis.');
}
