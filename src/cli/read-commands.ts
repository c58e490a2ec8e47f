import { ConfigError, type ResolvedConfig } from '../config/index.js';
import { AuditSourceError } from '../audit/audit-log.js';
import { runReplay, type ReplayOptions } from '../audit/replay-command.js';
import { printable, terminalSafeJson } from '../audit/printable.js';
import { buildRegistry } from '../extensions/trans-type-loader.js';
import { createRootLogger } from '../observability/logger.js';
import { loadConfig, type ConfigFlags } from './cli-config.js';
import { aclRefusalLine } from './startup-failure.js';
import { openTransactionSource, type SourceOptions } from './transaction-source.js';
import { nextPageCommand, replayCommandFor } from './suggested-command.js';
import { renderDetail, renderList } from './transaction-table.js';

/**
 * The read-only commands: `list`, `show`, `replay`. Each reads the local log (the data dir, which
 * must exist and not be owned by a running dtx) or a running dtx (`--server`, `--token`). Exit
 * codes: 0 done, 1 failure (server unreachable, divergence), 2 usage or configuration (no log at
 * the data dir), 3 unknown gid.
 */
export interface ReadFlags extends ConfigFlags, SourceOptions {
  readonly json?: boolean;
}

export interface ListFlags extends ReadFlags {
  readonly status?: string;
  readonly type?: string;
  readonly limit: number;
  readonly position?: string;
}

/** Every JSON printed goes through terminalSafeJson, every suggested command through suggested-command.ts. */
const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

export async function listCommand(flags: ListFlags): Promise<void> {
  await guarded('list', flags, async (config) => {
    const source = await openTransactionSource(flags, config);
    try {
      const page = await source.list({ limit: flags.limit, ...(flags.status ? { status: flags.status } : {}), ...(flags.type ? { transType: flags.type } : {}), ...(flags.position ? { position: flags.position } : {}) });
      if (flags.json) out(`${terminalSafeJson({ transactions: page.transactions, next_position: page.nextPosition }, 2)}\n`);
      else out(renderList(page, source.name, (p) => nextPageCommand(flags, p)));
      return 0;
    } finally {
      await source.close();
    }
  });
}

export async function showCommand(gid: string, flags: ReadFlags): Promise<void> {
  await guarded('show', flags, async (config) => {
    const source = await openTransactionSource(flags, config);
    try {
      const detail = await source.show(gid);
      if (detail === undefined) {
        err(`dtx show: no transaction '${printable(gid)}' in ${source.name}\n`);
        return 3;
      }
      out(flags.json ? `${terminalSafeJson(detail, 2)}\n` : renderDetail(detail, source.name, replayCommandFor(flags, gid)));
      return 0;
    } finally {
      await source.close();
    }
  });
}

export async function replayCommand(gid: string | undefined, flags: ReadFlags & ReplayOptions): Promise<void> {
  await guarded('replay', flags, async (config) => {
    const logger = createRootLogger({ level: 'warn', outputs: 'stderr', format: config.Log.Format });
    const io = { out, err, isTTY: process.stderr.isTTY === true };
    return runReplay(gid, flags, config, io, await buildRegistry(config, logger));
  });
}

/** Runs a command with its config; its errors become one line and an exit code. */
async function guarded(name: string, flags: ConfigFlags, run: (config: ResolvedConfig) => Promise<number>): Promise<void> {
  const { config } = loadConfig(flags);
  try {
    process.exitCode = await run(config);
  } catch (e) {
    err(`dtx ${name}: ${aclRefusalLine(e, config) ?? (e instanceof Error ? e.message : String(e))}\n`);
    // a setting found unusable only when used (a Store.KafkaTls file) is a config error, as at start.
    // Exit now: a Kafka client given up on may retry in the background for a while (stderr is written).
    process.exit(e instanceof AuditSourceError || e instanceof ConfigError ? 2 : 1);
  }
}
