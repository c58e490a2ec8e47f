import { constants } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError } from '../config/index.js';
import { createRootLogger } from '../observability/logger.js';
import { startDtx, STOP_GRACE_MS, type RunningDtx } from '../main.js';
import { exitOnConfigError, loadConfig, type ServeFlags } from './cli-config.js';
import { startupFailureLine } from './startup-failure.js';

/** Longest a graceful stop may take before the process exits anyway (stuck I/O). */
const HARD_STOP_MS = STOP_GRACE_MS + 5000;

/**
 * `dtx serve`: resolve the config, start, and stop gracefully on SIGTERM/SIGINT. Exit codes: 2 bad
 * configuration, 1 start failed (one line with the fix when the cause is the operator's: port in
 * use, data dir locked, host not resolvable), 0 after a graceful stop, 128+signal after a second
 * signal (exit at once).
 */
export async function serve(flags: ServeFlags & { debug?: boolean }): Promise<void> {
  const { config, notices } = loadConfig(flags);
  const logger = createRootLogger({ level: flags.debug ? 'debug' : config.LogLevel, outputs: config.Log.Outputs, format: config.Log.Format });
  for (const n of notices) logger.warn({ notice: n }, 'config notice');
  let dtx: RunningDtx;
  try {
    dtx = await startDtx(config, logger);
  } catch (err) {
    // a setting found unusable only at start (MicroService.Driver, DriverModules, Target) is still a config error
    if (err instanceof ConfigError) exitOnConfigError(err);
    const line = startupFailureLine(err, config);
    if (line === undefined) {
      logger.fatal({ err }, 'dtx failed to start');
    } else {
      logger.debug({ err }, 'dtx failed to start');
      process.stderr.write(`dtx: cannot start: ${line}\n`);
    }
    process.exit(1);
  }
  stopOnSignals(dtx, logger);
}

function stopOnSignals(dtx: RunningDtx, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now without waiting for the stop');
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    stopping = true;
    logger.info({ signal, graceMs: STOP_GRACE_MS }, 'stopping: new calls are refused, transactions in flight get the grace period (a second signal exits at once)');
    setTimeout(() => {
      logger.error({ signal }, `graceful stop did not finish within ${HARD_STOP_MS / 1000} s; exiting`);
      process.exit(1);
    }, HARD_STOP_MS).unref();
    dtx.stop().then(
      () => {
        logger.info({ signal }, 'dtx stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
