import { constants } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError } from '../config/index.js';
import { createRootLogger } from '../observability/logger.js';
import { startDtx, STOP_GRACE_MS, type RunningDtx } from '../main.js';
import { exitOnConfigError, loadConfig, type ServeFlags } from './cli-config.js';
import { aclRefusalLine, startupFailureLine } from './startup-failure.js';

/** Longest a graceful stop may take before the process exits anyway (stuck I/O). */
const HARD_STOP_MS = STOP_GRACE_MS + 5000;

/**
 * Exit code when the event log failed while running (EventLog.failure: a failed fsync of the
 * WAL or of the database after a checkpoint; or the Kafka brokers refused the worker an ACL it
 * needs): sysexits' EX_IOERR. The stop answers every waiting client (503) first; a supervisor's
 * restart recovers from what is durable.
 */
export const EXIT_LOG_FAILED = 74;

/**
 * `dtx serve`: resolve the config, start, and stop gracefully on SIGTERM/SIGINT. Exit codes: 2 bad
 * configuration, 1 start failed (one line with the fix when the cause is the operator's: port in
 * use, data dir locked, host not resolvable), 0 after a graceful stop, 128+signal after a second
 * signal (exit at once), EXIT_LOG_FAILED after the event log failed while running. SIGHUP reloads
 * the TLS certificate (`Tls.*`) and does not stop dtx.
 */
export async function serve(flags: ServeFlags & { debug?: boolean }): Promise<void> {
  const { config, notices } = loadConfig(flags);
  const logger = createRootLogger({ level: flags.debug ? 'debug' : config.LogLevel, outputs: config.Log.Outputs, format: config.Log.Format });
  for (const n of notices) logger.warn({ notice: n }, 'config notice');
  // Handlers first: a signal that arrives while dtx starts (its "dtx listening" line is already
  // out) must stop it gracefully once started, not kill it with the default action.
  const signals = stopOnSignals(logger, (err) => aclRefusalLine(err, config));
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
  signals.started(dtx);
}

/** Installs the SIGTERM/SIGINT handlers; a signal before `started` stops dtx as soon as it is. */
function stopOnSignals(logger: Logger, refusalLine: (err: Error) => string | undefined): { started(dtx: RunningDtx): void } {
  let stopping = false;
  let running: RunningDtx | undefined;
  let early: NodeJS.Signals | undefined;
  /** the event log failed: whatever stops dtx, it exits EXIT_LOG_FAILED */
  let logFailed = false;
  const exit = (stopped: boolean) => process.exit(logFailed ? EXIT_LOG_FAILED : stopped ? 0 : 1);
  const stopAndExit = (dtx: RunningDtx, graceMs: number, cause: Record<string, unknown>) => {
    stopping = true;
    setTimeout(() => {
      logger.error(cause, `graceful stop did not finish within ${HARD_STOP_MS / 1000} s; exiting`);
      exit(false);
    }, HARD_STOP_MS).unref();
    dtx.stop(graceMs).then(
      () => {
        logger.info(cause, 'dtx stopped');
        exit(true);
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        exit(false);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (running === undefined && early === undefined) {
      early = signal;
      logger.info({ signal }, 'signal while starting: dtx stops once started');
      return;
    }
    if (stopping || running === undefined) {
      logger.warn({ signal }, 'second signal: exiting now without waiting for the stop');
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    logger.info({ signal, graceMs: STOP_GRACE_MS }, 'stopping: new calls are refused, transactions in flight get the grace period (a second signal exits at once)');
    stopAndExit(running, STOP_GRACE_MS, { signal });
  };
  const onLogFailure = (dtx: RunningDtx, err: Error) => {
    const refused = refusalLine(err);
    logger.fatal({ err }, refused ?? `the event log cannot be used anymore: stopping (exit code ${EXIT_LOG_FAILED}); a restart recovers from what is durable`);
    // an ACL refusal also goes to stderr as one line, like a start-up failure: a restart alone cannot help
    if (refused !== undefined) process.stderr.write(`dtx: stopping: ${refused}\n`);
    logFailed = true;
    if (!stopping) stopAndExit(dtx, 0, { cause: 'event log failed' });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP reloads the TLS settings' files (src/tls/tls-settings.ts); it no longer ends the process
  process.on('SIGHUP', () => {
    const reloaded = running?.reloadTls();
    if (reloaded === undefined) logger.info('SIGHUP: nothing to reload (no TLS files configured, or dtx still starting)');
  });
  return {
    started(dtx) {
      running = dtx;
      void dtx.failure.then((err) => onLogFailure(dtx, err));
      if (early !== undefined) onSignal(early);
    },
  };
}
