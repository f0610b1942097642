import { describe, expect, it } from 'vitest';
import { percent } from '../../src/learning/percent.js';

describe('report percentages', () => {
  it('never shows a share short of all as 100% or one above none as 0%', () => {
    expect(percent(199 / 200)).toBe('>99%');
    expect(percent(1 / 400)).toBe('<1%');
  });

  it('rounds everything else to whole percents', () => {
    expect(percent(1)).toBe('100%');
    expect(percent(0)).toBe('0%');
    expect(percent(2 / 3)).toBe('67%');
    expect(percent(0.994)).toBe('99%');
    expect(percent(0.006)).toBe('1%');
  });
});
