import { describe, expect, it } from 'vitest';
import { printable } from '../../../src/audit/printable.js';
import { renderHistory } from '../../../src/audit/render-timeline.js';
import type { TransactionHistory } from '../../../src/audit/transaction-history.js';

/** `dtx replay` never prints raw control or bidi characters from the log (hardening issue). */
describe('printable', () => {
  it('escapes control, bidi and lone-surrogate characters and keeps the rest', () => {
    expect(printable('a\u001b[31mb\u202ec\ud800d\u0007')).toBe('a\\u{1b}[31mb\\u{202e}c\\u{d800}d\\u{7}');
    expect(printable('naïve 😀 text')).toBe('naïve 😀 text');
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
