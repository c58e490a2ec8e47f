import path from 'node:path';
import type { ResolvedConfig } from '../config/index.js';
import { BrokersUnreachable, kafkaAuthorizationFailure, OAuthTokenFailure } from '../errors.js';
import { ListenError } from '../ingress/listen-error.js';
import { isDataDirLocked, isDiskFull } from '../log/sqlite/sqlite-database.js';

/**
 * Start-up failures an operator causes and can fix, as one line: what is wrong and the flag or
 * setting that fixes it. Anything else returns undefined (the caller logs it with its stack).
 */
export function startupFailureLine(err: unknown, config: ResolvedConfig): string | undefined {
  if (isDataDirLocked(err)) {
    return `the data dir ${path.resolve(config.Store.DataDir)} is in use by another dtx process; stop that one, or give this one its own directory with --data-dir <dir> (STORE_DATA_DIR)`;
  }
  if (isDiskFull(err)) {
    return `the disk of the data dir ${path.resolve(config.Store.DataDir)} is full; free space there (at least the size of its dtx.db-wal, which is copied into dtx.db) and start dtx again`;
  }
  if (err instanceof BrokersUnreachable || err instanceof OAuthTokenFailure) return err.message;
  const refused = aclRefusalLine(err, config);
  if (refused !== undefined) return refused;
  if (!(err instanceof ListenError)) return undefined;
  const flag = err.listener === 'HTTP' ? '--port <n> (HTTP_PORT)' : '--grpc-port <n> (GRPC_PORT)';
  const hostFix = 'set --host (HTTP_HOST) to an address of this machine: 127.0.0.1 for local use, 0.0.0.0 for all interfaces';
  switch (err.problem) {
    case 'in-use':
      return `${err.listener} port ${err.port} on ${err.host} is already in use (another dtx?); stop what uses it, or choose another port with ${flag}, 0 = any free port`;
    case 'no-such-host':
      return `cannot listen on host '${err.host}': the name does not resolve; ${hostFix}`;
    case 'not-local':
      return `cannot listen on host '${err.host}': it is not an address of this machine; ${hostFix}`;
    case 'denied':
      return `${err.listener} port ${err.port} needs privileges this process does not have; choose a port above 1023 with ${flag}`;
    case 'other':
      return `${err.message}; check ${flag} and --host (HTTP_HOST)`;
  }
}

/** What to grant, when `err` is a Kafka ACL refusal: at start, or while running (the log's failure). */
export function aclRefusalLine(err: unknown, config: ResolvedConfig): string | undefined {
  const refused = kafkaAuthorizationFailure(err);
  if (refused === undefined) return undefined;
  return `the Kafka brokers refused this user an operation (${refused}); grant it the ACLs docs/kafka.md lists under "Secured brokers" for Store.KafkaPrefix '${config.Store.KafkaPrefix}'`;
}
