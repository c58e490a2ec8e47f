import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextPageCommand, replayCommandFor, shellQuote, suggestedCommand } from '../../../src/cli/suggested-command.js';
import { renderDetail, renderList } from '../../../src/cli/transaction-table.js';
import type { DtmTransView } from '../../../src/engine/trans-view.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The commands `dtx list` and `dtx show` suggest are pasted into a shell: every value in them is
 * one shell word that reads back as itself and runs nothing (hardening: shell injection).
 */

/** The arguments a POSIX shell (bash and sh) passes to `dtx` when it runs `line`. */
function argsOf(shell: 'bash' | 'sh', line: string): string[] {
  const script = `dtx() { for a in "$@"; do printf '%s\\0' "$a"; done; }\n${line}`;
  const out = execFileSync(shell, ['-c', script], { encoding: 'utf8' });
  return out === '' ? [] : out.slice(0, -1).split('\0');
}

const marker = path.join(tempDir('dtx-shell-quote-'), 'pwned');
const hostile = [
  `a'$(touch ${marker})'b`,
  `x\`touch ${marker}\`y`,
  `$(touch ${marker})`,
  "it's; touch " + marker,
  "''\\'\"$HOME ${PATH} !! * ? [a] ~ # & | < > ( )",
  'tab\there\nnewline',
  '',
  'plain-gid_01.x',
];

describe('shellQuote', () => {
  it('quotes a hostile gid in POSIX single quotes', () => {
    expect(shellQuote("a'$(touch /tmp/x)'b")).toBe("'a'\\''$(touch /tmp/x)'\\''b'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('gid-01.a_b')).toBe('gid-01.a_b');
  });

  it.each(['bash', 'sh'] as const)('every value reads back from %s as one argument, and nothing runs', (shell) => {
    for (const gid of hostile) {
      expect(argsOf(shell, `dtx ${shellQuote(gid)}`)).toEqual([gid]);
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('suggested commands', () => {
  const flags = { server: "http://h:1/x?a=1&b='2'", dataDir: '/data dir/$(id)', config: "c 'f'.yml" };

  it('quote the gid, the position and every source flag', () => {
    for (const gid of hostile) {
      expect(argsOf('bash', replayCommandFor(flags, gid))).toEqual(['replay', '--server', flags.server, '--data-dir', flags.dataDir, '-c', flags.config, gid]);
      expect(argsOf('sh', nextPageCommand(flags, gid))).toEqual(['list', '--server', flags.server, '--data-dir', flags.dataDir, '-c', flags.config, '--position', gid]);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('leave out the flags not given and put a gid that starts with - after --', () => {
    expect(replayCommandFor({}, 'g1')).toBe('dtx replay g1');
    expect(replayCommandFor({ server: 'http://127.0.0.1:36789' }, '--all')).toBe('dtx replay --server http://127.0.0.1:36789 -- --all');
    expect(suggestedCommand('list', { dataDir: '/var/lib/dtx' }, [])).toBe('dtx list --data-dir /var/lib/dtx');
  });

  const trans = (gid: string): DtmTransView => ({ id: 1, gid, trans_type: 'saga', status: 'failed', protocol: 'http', options: '', concurrent: false, create_time: '2024-01-01T00:00:00Z', update_time: '2024-01-01T00:00:00Z' });
  const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)!;

  it('are printed quoted by dtx show and dtx list', () => {
    const gid = `a'$(touch ${marker})'b`;
    const detail = renderDetail({ transaction: trans(gid), branches: [] }, 'dtx.db', replayCommandFor({}, gid));
    const replay = lastLine(detail).replace(/^.*the event timeline: /, '');
    expect(argsOf('bash', replay)).toEqual(['replay', gid]);
    const list = renderList({ transactions: [trans(gid)], nextPosition: gid }, 'dtx.db', (p) => nextPageCommand({}, p));
    expect(argsOf('bash', lastLine(list).replace(/^more: /, ''))).toEqual(['list', '--position', gid]);
    expect(existsSync(marker)).toBe(false);
  });

  it('never print a raw control character, even when quoted', () => {
    const list = renderList({ transactions: [trans('g')], nextPosition: 'p\u001b]0;x\u0007' }, 'dtx.db', (p) => nextPageCommand({}, p));
    expect(lastLine(list)).toBe("more: dtx list --position 'p\\u{1b}]0;x\\u{7}'");
  });
});
