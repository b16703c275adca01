/**
 * The clip norm of the zero-order steps as a fraction of its worst case (`clipScale`, session 26):
 * C = c·√K·(max loss), c by task unless given, the explicit `clipNorm` winning over both.
 */
import { describe, expect, it } from 'vitest';
import { condense } from '../../src/condense/condense.js';
import { resolveSettings } from '../../src/condense/settings.js';
import { dataset } from './helpers.js';

const RUN = { rows: 20, epsilon: 3, steps: 3, directions: 4, batchSize: 64, seed: 11 } as const;

describe('clipScale', () => {
  it('defaults to 0.25 for classification and 0.125 for survival, and rejects values outside (0, 1]', async () => {
    const { train: pima } = await dataset('pima');
    const { train: rotterdam } = await dataset('rotterdam');
    expect(resolveSettings({ train: pima, rows: 20, epsilon: 1 }).clipScale).toBe(0.25);
    expect(resolveSettings({ train: rotterdam, rows: 20, epsilon: 1 }).clipScale).toBe(0.125);
    expect(resolveSettings({ train: pima, rows: 20, epsilon: 1, clipScale: 0.5 }).clipScale).toBe(0.5);
    expect(() => resolveSettings({ train: pima, rows: 20, epsilon: 1, clipScale: 1.5 })).toThrow(/clipScale|clip-scale/);
    expect(() => resolveSettings({ train: pima, rows: 20, epsilon: 1, clipScale: 0 })).toThrow(/clipScale|clip-scale/);
  });

  it('scales the clip norm from its worst case √K·(max loss), leaves σ alone, and gives way to an explicit clip norm', async () => {
    for (const [name, c] of [['pima', 0.25], ['rotterdam', 0.125]] as const) {
      const { train } = await dataset(name);
      const rows = name === 'pima' ? 20 : 24;
      const worst = await condense({ train, ...RUN, rows, clipScale: 1 });
      const byDefault = await condense({ train, ...RUN, rows });
      const w = worst.receipt.parameters as Record<string, number>;
      const d = byDefault.receipt.parameters as Record<string, number>;
      expect(d.clipScale).toBe(c);
      // The same seed gives the same DP class counts, so the same loss bound: the norms differ by c exactly.
      expect(d.clipNorm / w.clipNorm).toBeCloseTo(c, 12);
      // σ is calibrated on the budget, not on C: the noise std σ·C shrinks with the clip norm.
      expect(d.noiseMultiplier).toBe(w.noiseMultiplier);
      expect(d.noiseFigure).toBeCloseTo(c * w.noiseFigure, 4); // the receipt rounds R
      const explicit = await condense({ train, ...RUN, rows, clipNorm: 0.7 });
      expect(explicit.receipt.parameters.clipNorm).toBe(0.7);
      // The receipt lists the scale only when it set the norm.
      expect(explicit.receipt.parameters.clipScale).toBeUndefined();
    }
  });

  it('does not clip a non-private run', async () => {
    const { train } = await dataset('pima');
    const exact = await condense({ train, ...RUN, epsilon: Infinity });
    expect(exact.receipt.parameters.clipNorm).toBe('none');
  });
});
