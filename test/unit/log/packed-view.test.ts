import { describe, expect, it } from 'vitest';
import { Internal } from '../../../src/errors.js';
import { dtmViewText, viewChars, ViewPacker } from '../../../src/log/packed-view.js';

const b64 = Buffer.from(`{"pad":"${'x'.repeat(400)}"}`).toString('base64');

/** A packed text made the way storedView makes one: a payloads entry and a bin_data of the same string. */
function packed(): { stored: string; dtm: string } {
  const pack = new ViewPacker();
  const stored = pack.text(`{"transaction":{"payloads":[${pack.payload(b64)}]},"branches":[{"bin_data":${pack.bin(b64)}}]}`);
  const dtm = `{"transaction":{"payloads":[${JSON.stringify(Buffer.from(b64, 'base64').toString('utf8'))}]},"branches":[{"bin_data":${JSON.stringify(b64)}}]}`;
  return { stored, dtm };
}

describe('packed views', () => {
  it('keeps a string once however often it stands in the view, and gives the dtm text back', () => {
    const { stored, dtm } = packed();
    expect(stored.split(b64)).toHaveLength(2);
    expect(dtmViewText(stored)).toBe(dtm);
    expect(viewChars(stored)).toBe(dtm.length);
  });

  it('leaves a view without long strings as its dtm text', () => {
    const pack = new ViewPacker();
    const text = `{"transaction":{"payloads":[${pack.payload('e30=')}]}}`;
    expect(pack.text(text)).toBe('{"transaction":{"payloads":["{}"]}}');
    expect(dtmViewText(text)).toBe(text);
    expect(viewChars(text)).toBe(text.length);
  });

  it('refuses a malformed packed text with Internal, naming what is wrong, and bounds it by its own length', () => {
    const { stored } = packed();
    const end = stored.indexOf('\u0002');
    const broken: Array<[string, RegExp]> = [
      [stored.replace('\u0002', ''), /no end of its strings/],
      [`\u0001x${stored.slice(stored.indexOf('\u0001', 1))}`, /its length is "x"/],
      [stored.slice(0, end) + '9' + stored.slice(end), /ends past the text|reference/],
      [stored.replace('\u0003b0\u0003', '\u0003b0'), /not closed/],
      [stored.replace('\u0003b0\u0003', '\u0003q0\u0003'), /reference "q0"/],
      [stored.replace('\u0003b0\u0003', '\u0003b7\u0003'), /reference "b7"/],
      [stored.replace('"branches"', '"branche"'), /characters, \d+ announced/],
    ];
    for (const [text, why] of broken) {
      expect(() => dtmViewText(text)).toThrow(Internal);
      expect(() => dtmViewText(text)).toThrow(why);
      expect(viewChars(text)).toBeGreaterThanOrEqual(text.length);
    }
    expect(viewChars('\u0001x\u0002')).toBe(3);
  });
});
