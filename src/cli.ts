#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, resolveConfigFromProcess } from './config/index.js';
import { createRootLogger } from './observability/logger.js';
import { DTX_VERSION, startDtx } from './main.js';
import { runReplay } from './audit/replay-command.js';
import { buildRegistry } from './extensions/trans-type-loader.js';

/** `dtx` command line (DESIGN §7). Exit code 2 = bad configuration. */
const program = new Command('dtx').description('dtx: an event-sourced distributed transaction coordinator speaking dtm').version(`dtm version: v${DTX_VERSION}-dtx`, '-v, --version');

program
  .command('serve', { isDefault: true })
  .description('run the coordinator (HTTP on HttpPort)')
  .option('-c, --config <file>', 'YAML config file (dtm keys)')
  .option('-d, --debug', 'debug logging')
  .action(async (opts: { config?: string; debug?: boolean }) => {
    let resolved;
    try {
      resolved = resolveConfigFromProcess(opts.config);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`dtx: invalid configuration [${err.key}]: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const { config, notices } = resolved;
    const logger = createRootLogger({ level: opts.debug ? 'debug' : config.LogLevel, outputs: config.Log.Outputs });
    for (const n of notices) logger.warn({ notice: n }, 'config notice');
    try {
      const dtx = await startDtx(config, logger);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        // a stop that cannot finish (stuck I/O) must not leave a zombie coordinator holding the data dir
        setTimeout(() => {
          logger.error({ signal }, 'graceful stop timed out after 10 s; exiting');
          process.exit(1);
        }, 10_000).unref();
        dtx.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'stop failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    } catch (err) {
      // a setting found unusable only at start (MicroService.Driver, DriverModules, Target) is still a config error
      if (err instanceof ConfigError) {
        process.stderr.write(`dtx: invalid configuration [${err.key}]: ${err.message}\n`);
        process.exit(2);
      }
      logger.fatal({ err }, 'dtx failed to start');
      process.exit(1);
    }
  });

program
  .command('replay [gid]')
  .description("audit: print a transaction's timeline from the log, re-fold its events and verify dtx's state")
  .option('-c, --config <file>', 'YAML config file (to find the log)')
  .option('--json', 'machine-readable output')
  .option('--all', 'audit every transaction (with --since)')
  .option('--since <time>', 'only transactions created at/after this ISO time or epoch ms')
  .option('--server <url>', 'ask a running dtx (its data dir is locked while it runs), e.g. http://127.0.0.1:36789')
  .option('--token <token>', 'bearer token for --server (default: the first of Auth.Tokens)')
  .action(async (gid: string | undefined, opts: { config?: string; json?: boolean; all?: boolean; since?: string; server?: string }) => {
    let config;
    try {
      config = resolveConfigFromProcess(opts.config).config;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`dtx: invalid configuration [${err.key}]: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s), isTTY: process.stderr.isTTY === true };
    try {
      const logger = createRootLogger({ level: 'warn', outputs: 'stderr' });
      process.exitCode = await runReplay(gid, opts, config, io, await buildRegistry(config, logger));
    } catch (err) {
      process.stderr.write(`dtx replay: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  });

await program.parseAsync(process.argv);
