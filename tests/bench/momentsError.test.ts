import { describe, expect, it } from 'vitest';
import { momentsError } from '../../src/bench/momentsError.js';

describe('momentsError', () => {
  it('reports zero mean error and spread ratios of exactly 1 for a non-private run, and a spread error under noise', async () => {
    const exact = await momentsError(['pima'], [Infinity], 1, [{}]);
    expect(exact).toContain('error 0.000 sd');
    expect(exact).toContain('DP sd / true sd 1.00 (10–90 %: 1.00–1.00)');
    const noisy = await momentsError(['pima'], [1], 2, [{}]);
    const [, low, high] = /10–90 %: ([\d.]+)–([\d.]+)/.exec(noisy)!.map(Number);
    expect(high - low).toBeGreaterThan(0.5);
  });
});
