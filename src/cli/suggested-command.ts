/**
 * The command lines `dtx list` and `dtx show` suggest (the next page, the event timeline). An
 * operator copies them into a shell, and their values come from the log or a server (gids, list
 * positions) or from flags (server URL, data dir, config file): every value is shell-quoted, so a gid
 * such as `a'$(touch /tmp/x)'b` is one argument to dtx and never runs anything.
 */

/** Flags that chose the transaction source; repeated in every suggested command. */
export interface SourceFlags {
  readonly server?: string;
  readonly dataDir?: string;
  readonly config?: string;
}

/** Characters a POSIX shell reads literally outside quotes: such a word needs no quoting. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `value` as one POSIX shell word: unchanged when it holds only PLAIN_WORD characters, otherwise in
 * single quotes, each `'` written as `'\''` (close the quotes, an escaped quote, reopen). Inside
 * single quotes a POSIX shell expands nothing (`$`, backquotes, `\` and newlines stay literal), so the
 * word is read back as exactly `value`. The empty string is `''`.
 */
export function shellQuote(value: string): string {
  if (PLAIN_WORD.test(value)) return value;
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The source flags as shell words, in the order the user can give them. */
export function sourceArgs(flags: SourceFlags): string[] {
  return [
    ...(flags.server !== undefined && flags.server !== '' ? ['--server', flags.server] : []),
    ...(flags.dataDir !== undefined && flags.dataDir !== '' ? ['--data-dir', flags.dataDir] : []),
    ...(flags.config !== undefined && flags.config !== '' ? ['-c', flags.config] : []),
  ];
}

/**
 * `dtx <command> <source flags> <args>` with every word after `dtx <command>` shell-quoted. The
 * token is never repeated: a suggested command stays safe to paste into a ticket.
 */
export function suggestedCommand(command: 'list' | 'replay', flags: SourceFlags, args: readonly string[]): string {
  return ['dtx', command, ...[...sourceArgs(flags), ...args].map(shellQuote)].join(' ');
}

/** `dtx list` for the page after `position`, from the same source. */
export function nextPageCommand(flags: SourceFlags, position: string): string {
  return suggestedCommand('list', flags, ['--position', position]);
}

/**
 * `dtx replay` of one gid, from the same source. A gid starting with `-` follows `--`, so the
 * command-line parser takes it as the gid, not as an option.
 */
export function replayCommandFor(flags: SourceFlags, gid: string): string {
  return suggestedCommand('replay', flags, gid.startsWith('-') ? ['--', gid] : [gid]);
}
