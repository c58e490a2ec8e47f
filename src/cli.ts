#!/usr/bin/env -S node --max-semi-space-size=4 --v8-pool-size=1
import { Command, Option } from 'commander';
import { DTX_VERSION } from './dtx-version.js';
import { countArg, portArg, threadsArg } from './cli/cli-config.js';
import type { ListFlags, ReadFlags } from './cli/read-commands.js';
import type { ConfigFlags, ServeFlags } from './cli/cli-config.js';
import type { ReplayOptions } from './audit/replay-command.js';
import type { PruneFlags } from './cli/prune-command.js';

/**
 * `dtx` command line (DESIGN §7). Without a command it prints help; an unknown command is refused
 * with the closest known one suggested. Exit code 2 = bad configuration or usage. Each command's
 * module is loaded when it runs, so help and usage errors answer without loading the coordinator.
 */
const program = new Command('dtx')
  .description('dtx: an event-sourced distributed transaction coordinator speaking dtm')
  .version(`dtm version: v${DTX_VERSION}-dtx`, '-v, --version')
  .showSuggestionAfterError(true)
  // usage errors (unknown command or option, bad flag value) exit 2, as bad configuration does
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .addHelpText('after', `
Examples:
  dtx serve                          HTTP on :36789, gRPC on :36790, data in ./data
  dtx serve --host 127.0.0.1 --port 8080 --data-dir /var/lib/dtx
  dtx list --status failed           the newest failed transactions
  dtx show <gid>                     one transaction and its branches
  dtx replay <gid>                   its event timeline, re-folded and verified
  dtx list --server http://127.0.0.1:36789   ask a running dtx (it owns its data dir)
  dtx prune --finished-before 30d    delete what finished over 30 days ago (dtx stopped)

Configuration: dtm's keys in a YAML file (-c) and environment variables; see docs/config.md.`);

const configOption = () => new Option('-c, --config <file>', 'YAML config file (dtm keys)');
const dataDirOption = () => new Option('--data-dir <dir>', 'data dir of the embedded log (Store.DataDir, STORE_DATA_DIR)');
const serverOption = () => new Option('--server <url>', 'ask a running dtx instead of reading the data dir, e.g. http://127.0.0.1:36789');
const tokenOption = () => new Option('--token <token>', 'bearer token for --server (default: the first of Auth.Tokens)');

program
  .command('serve')
  .description('run the coordinator')
  .addOption(configOption())
  .option('--port <n>', 'HTTP port: API, JSON-RPC, metrics, admin UI (HttpPort, HTTP_PORT; 0 = any free port)', portArg)
  .option('--grpc-port <n>', 'gRPC port (GrpcPort, GRPC_PORT; 0 = any free port)', portArg)
  .option('--host <address>', 'address to listen on (HttpHost, HTTP_HOST); 0.0.0.0 = all interfaces')
  .addOption(dataDirOption())
  .option('-d, --debug', 'debug logging')
  .action(async (flags: ServeFlags & { debug?: boolean }) => (await import('./cli/serve-command.js')).serve(flags));

program
  .command('list')
  .description('list transactions, newest first')
  .option('--status <status>', 'only this status (prepared, submitted, aborting, succeed, failed)')
  .option('--type <type>', 'only this trans_type (saga, msg, ...)')
  .option('--limit <n>', 'at most this many', countArg, 20)
  .option('--position <cursor>', 'continue after a previous page (printed at its end)')
  .option('--json', "dtm's JSON (the `all` route's shape)")
  .addOption(serverOption())
  .addOption(tokenOption())
  .addOption(configOption())
  .addOption(dataDirOption())
  .action(async (flags: ListFlags) => (await import('./cli/read-commands.js')).listCommand(flags));

program
  .command('show <gid>')
  .description('show one transaction: status, times, options and branches')
  .option('--json', "dtm's JSON (the `query` route's shape)")
  .addOption(serverOption())
  .addOption(tokenOption())
  .addOption(configOption())
  .addOption(dataDirOption())
  .action(async (gid: string, flags: ReadFlags) => (await import('./cli/read-commands.js')).showCommand(gid, flags));

program
  .command('replay [gid]')
  .description("audit: print a transaction's event timeline, re-fold its events and verify dtx's state")
  .option('--json', 'machine-readable output')
  .option('--all', 'audit every transaction (with --since)')
  .option('--since <time>', 'only transactions created at/after this ISO time or epoch ms')
  .option('--exact', 'with --all: fold every transaction through XState instead of the fast fold (slower, same verdicts)')
  .option('--threads <n>', 'with --all (embedded or Kafka log): worker processes that read and fold (1..64; default: the cores, from 5,000 transactions on; 1 = none, all on this thread)', threadsArg)
  .addOption(serverOption())
  .addOption(tokenOption())
  .addOption(configOption())
  .addOption(dataDirOption())
  .action(async (gid: string | undefined, flags: ReadFlags & ReplayOptions) => (await import('./cli/read-commands.js')).replayCommand(gid, flags));

program
  .command('prune')
  .description('delete the finished transactions of the embedded log that last changed before a time, events included (offline: stop dtx first)')
  .requiredOption('--finished-before <time>', 'an age (30d, 12h, 90m, 45s) or an ISO time (2026-11-01T00:00:00Z)')
  .option('--dry-run', 'count what would be deleted, delete nothing')
  .option('--vacuum', 'then shrink the file (SQLite VACUUM: needs free disk for two copies of what remains)')
  .addOption(configOption())
  .addOption(dataDirOption())
  .action(async (flags: PruneFlags) => (await import('./cli/prune-command.js')).pruneCommand(flags));

program
  .command('backup <file>')
  .description('copy the embedded log to <file>, consistent, while dtx runs or not (on the host of the data dir)')
  .addOption(configOption())
  .addOption(dataDirOption())
  .action(async (file: string, flags: ConfigFlags) => (await import('./cli/backup-command.js')).backupCommand(file, flags));

program
  .command('restore <file>')
  .description('make a backup the log of a data dir that has none (offline: stop dtx first)')
  .addOption(configOption())
  .addOption(dataDirOption())
  .action(async (file: string, flags: ConfigFlags) => (await import('./cli/backup-command.js')).restoreCommand(file, flags));

if (process.argv.length <= 2) program.help();
await program.parseAsync(process.argv);
