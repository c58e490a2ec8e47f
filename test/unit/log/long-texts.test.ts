import { describe, expect, it } from 'vitest';
import { LongTexts } from '../../../src/log/long-texts.js';

describe('LongTexts', () => {
  const counting = (budget: number) => {
    const rendered: string[] = [];
    const texts = new LongTexts((s) => {
      rendered.push(s);
      return `<${s}>`;
    }, budget);
    return { texts, rendered };
  };

  it('renders a string once while it is remembered', () => {
    const { texts, rendered } = counting(100);
    expect(texts.of('abc')).toBe('<abc>');
    expect(texts.of('abc')).toBe('<abc>');
    expect(rendered).toEqual(['abc']);
    expect(texts.chars).toBe(3 + 5);
  });

  it('forgets all at once when the next one would pass the budget, and never holds more than it', () => {
    const { texts, rendered } = counting(20);
    texts.of('aaaa'); // 4 + 6 = 10
    texts.of('bbbb'); // 20
    expect(texts.chars).toBe(20);
    texts.of('cccc'); // would be 30: forgets a and b first
    expect(texts.chars).toBe(10);
    texts.of('aaaa');
    expect(rendered).toEqual(['aaaa', 'bbbb', 'cccc', 'aaaa']);
  });

  it('renders a string longer than the whole budget each time without keeping it', () => {
    const { texts, rendered } = counting(20);
    texts.of('aaaa');
    const long = 'x'.repeat(30);
    expect(texts.of(long)).toBe(`<${long}>`);
    expect(texts.of(long)).toBe(`<${long}>`);
    expect(rendered).toEqual(['aaaa', long, long]);
    expect(texts.chars).toBe(10); // what it held before is kept
  });
});
