import { startLocalService } from './local-service-setup.js';

/** Port of the test MariaDB (scripts/mysql-local.sh): below the ephemeral range, not MySQL's 3306. */
export const TEST_MYSQL_PORT = 23306;
/** `host:port` of the MySQL/MariaDB the client tests use (user dtx without password, database dtx_test). */
export const TEST_MYSQL = process.env.DTX_TEST_MYSQL ? process.env.DTX_TEST_MYSQL : `127.0.0.1:${TEST_MYSQL_PORT}`;

/**
 * vitest globalSetup of the `client` project: starts the private MariaDB of scripts/mysql-local.sh
 * (installed with apt-get when missing) and stops it afterwards if this setup started it.
 * DTX_TEST_MYSQL=host:port uses an external server instead (user dtx with all privileges, no password).
 */
export default function setup(): (() => void) | undefined {
  if (process.env.DTX_TEST_MYSQL) return undefined;
  return startLocalService('mysql-local.sh', { MYSQL_PORT: String(TEST_MYSQL_PORT) }, 'Set DTX_TEST_MYSQL=host:port to use an external MySQL/MariaDB (user dtx, database dtx_test).');
}
