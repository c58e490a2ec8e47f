import { describe, expect, it } from 'vitest';
import { LongTextLengths } from '../../../src/log/long-text-lengths.js';

describe('LongTextLengths', () => {
  const counting = (budget: number) => {
    const rendered: string[] = [];
    const lengths = new LongTextLengths((s) => {
      rendered.push(s);
      return `<${s}>`;
    }, budget);
    return { lengths, rendered };
  };

  it('renders a string once while its length is remembered', () => {
    const { lengths, rendered } = counting(100);
    expect(lengths.of('abc')).toBe(5);
    expect(lengths.of('abc')).toBe(5);
    expect(rendered).toEqual(['abc']);
    expect(lengths.chars).toBe(3);
  });

  it('forgets all at once when the next key would pass the budget, and never holds more than it', () => {
    const { lengths, rendered } = counting(10);
    lengths.of('aaaa');
    lengths.of('bbbbbb');
    expect(lengths.chars).toBe(10);
    lengths.of('cccc'); // would be 14: forgets a and b first
    expect(lengths.chars).toBe(4);
    lengths.of('aaaa');
    expect(rendered).toEqual(['aaaa', 'bbbbbb', 'cccc', 'aaaa']);
  });

  it('renders a string longer than the whole budget each time without keeping it', () => {
    const { lengths, rendered } = counting(20);
    lengths.of('aaaa');
    const long = 'x'.repeat(30);
    expect(lengths.of(long)).toBe(32);
    expect(lengths.of(long)).toBe(32);
    expect(rendered).toEqual(['aaaa', long, long]);
    expect(lengths.chars).toBe(4); // what it held before is kept
  });
});
