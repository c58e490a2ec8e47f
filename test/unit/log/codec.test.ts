import { describe, expect, it } from 'vitest';
import { decodeRecord, decodeRecordValue, encodeRecord } from '../../../src/log/codec.js';
import type { LogRecord } from '../../../src/log/event-log.js';

const record: LogRecord = {
  v: 1,
  gid: 'gid-1',
  seq: 3,
  type: 'BranchSucceeded',
  at: 1_700_000_000_123,
  data: { branchId: '01', op: 'action', nested: { ok: true } },
  cmd: 'cmd-7',
};

describe('log record codec', () => {
  it('writes v1 JSON with a fixed key order (golden)', () => {
    expect(encodeRecord(record)).toBe(
      '{"v":1,"gid":"gid-1","seq":3,"type":"BranchSucceeded","at":1700000000123,' +
        '"data":{"branchId":"01","op":"action","nested":{"ok":true}},"cmd":"cmd-7"}',
    );
  });

  it('round-trips and drops properties outside the record shape', () => {
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    const extra = { ...record, extra: 'x' } as LogRecord;
    expect(JSON.parse(encodeRecord(extra))).not.toHaveProperty('extra');
  });

  it('rejects an unknown version, naming it', () => {
    expect(() => decodeRecord(encodeRecord(record).replace('"v":1', '"v":2'))).toThrow(/version: 2/);
    expect(() => decodeRecordValue({ ...record, v: undefined })).toThrow(/version/);
  });

  it.each([
    ['gid', ''],
    ['seq', 0],
    ['seq', 1.5],
    ['type', 7],
    ['at', '1'],
    ['data', []],
    ['data', null],
    ['cmd', undefined],
  ])('rejects an invalid %s (%j)', (field, value) => {
    expect(() => decodeRecordValue({ ...record, [field]: value })).toThrow(new RegExp(`"${field}"`));
  });

  it('rejects text that is not a JSON object', () => {
    expect(() => decodeRecord('{')).toThrow(/not valid JSON/);
    expect(() => decodeRecord('[1]')).toThrow(/not a JSON object/);
    expect(() => decodeRecord('{')).toThrow(expect.objectContaining({ code: 'DTX_INTERNAL' }));
  });
});
