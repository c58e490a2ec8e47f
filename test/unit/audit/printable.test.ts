import { describe, expect, it } from 'vitest';
import { printable, terminalSafeJson } from '../../../src/audit/printable.js';
import { renderHistory } from '../../../src/audit/render-timeline.js';
import type { TransactionHistory } from '../../../src/audit/transaction-history.js';

/** `dtx replay` never prints raw control or bidi characters from the log (hardening issue). */
describe('printable', () => {
  it('escapes control, bidi and lone-surrogate characters and keeps the rest', () => {
    expect(printable('a\u001b[31mb\u202ec\ud800d\u0007')).toBe('a\\u{1b}[31mb\\u{202e}c\\u{d800}d\\u{7}');
    expect(printable('naïve 😀 text')).toBe('naïve 😀 text');
  });

  it('escapes C1 controls and every format character, so gids differing by an invisible one print differently', () => {
    expect(printable('a\u009b31mb\u009d0;x\u0085')).toBe('a\\u{9b}31mb\\u{9d}0;x\\u{85}');
    const invisible = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2060', '\u2066', '\u2069', '\u061c', '\u180e', '\u00ad', '\ufeff', '\u{e0041}'];
    for (const c of invisible) {
      const shown = printable(`pay${c}ment`);
      expect(shown).toBe(`pay\\u{${c.codePointAt(0)!.toString(16)}}ment`);
      expect(shown).not.toBe(printable('payment'));
    }
  });

  it('is applied to every text of a rendered history', () => {
    const h: TransactionHistory = {
      gid: 'evil\u001b]0;pwned\u0007', trans_type: 'saga', status: 'submitted', replayed_status: 'submitted', verified: true, diff: [],
      timeline: [{ seq: 1, at: 0, time: '1970-01-01T00:00:00.000Z', event: 'BranchErrored', branch: '01\u001b', op: 'action', status: 'submitted', message: 'boom\u001b[2J' }],
      events: [],
    };
    const out = renderHistory(h);
    expect(out.includes("\u001b") || out.includes("\u0007")).toBe(false);
    expect(out).toContain('evil\\u{1b}]0;pwned\\u{7}');
  });
});

/** `--json` output (dtx list/show/replay) holds no raw character a terminal acts on or hides. */
describe('terminalSafeJson', () => {
  const RAW = /[\u007f-\u009f\u2028\u2029\p{Cf}]/u;

  it('escapes C1, separators and format characters and parses back to the same value', () => {
    const value = { gid: 'a\u009b2Jb\u202ec\u200bd', nested: [{ 'k\u2066': 'e\u2028f\u009d0;t\u0007\u00ad\u{e0041}' }], n: 1, ok: true, none: null };
    for (const indent of [undefined, 2]) {
      const json = terminalSafeJson(value, indent);
      expect(RAW.test(json)).toBe(false);
      expect(json).toContain('\\u009b');
      expect(json).toContain('\\u202e');
      expect(json).toContain('\\u200b');
      expect(json).toContain('\\udb40\\udc41');
      expect(JSON.parse(json)).toEqual(value);
    }
  });

  it('is JSON.stringify for text without such characters', () => {
    const value = { gid: 'naïve 😀 "q" \\ \n', list: [1, 2] };
    expect(terminalSafeJson(value, 2)).toBe(JSON.stringify(value, null, 2));
    expect(terminalSafeJson(undefined)).toBe('null');
  });
});
