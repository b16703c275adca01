/**
 * `PerRecordLoss` keeps one learner per recipe across fits and reseeds its rng before each fit: the
 * losses must equal those of a learner created afresh with that seed (what common random numbers
 * for the antithetic pair need), whatever was fitted before.
 */
import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { type LearnerRecipe, type LossSpec, PerRecordLoss } from '../../src/condense/objective.js';
import type { ClassificationTarget } from '../../src/models/types.js';

function problem(seed: number, rows: number, d: number): { X: ReturnType<typeof matrix>; target: ClassificationTarget } {
  const rng = new SeededRng(seed);
  const X = matrix(rows, d);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const x = rng.normal();
      X.data[i * d + j] = x;
      s += x;
    }
    y[i] = s + rng.normal() > 0 ? 1 : 0;
  }
  y[0] = 0;
  y[1] = 1;
  return { X, target: { task: 'classification', y } };
}

describe('PerRecordLoss', () => {
  const spec: LossSpec = { task: 'classification', kind: 'brier', pMin: 1e-3, classWeights: [1, 1.5] };
  const real = problem(1, 64, 4);

  it.each(['cart', 'rf', 'gbt', 'logistic'])('reusing the %s learner gives the losses of a fresh learner with the same seed', (name) => {
    const recipe: LearnerRecipe = { name, task: 'classification', params: name === 'rf' ? { nTrees: 5 } : {} };
    const loss = new PerRecordLoss([recipe], spec, real.X.rows);
    const reused = new Float64Array(real.X.rows);
    const fresh = new Float64Array(real.X.rows);
    for (let fit = 0; fit < 6; fit++) {
      const synthetic = problem(100 + fit, 20, 4);
      const seed = 1000 + (fit >> 1); // antithetic pairs share a seed
      loss.evaluate(synthetic.X, synthetic.target, real.X, real.target, seed, reused);
      // A new PerRecordLoss creates its learner afresh.
      new PerRecordLoss([recipe], spec, real.X.rows).evaluate(synthetic.X, synthetic.target, real.X, real.target, seed, fresh);
      // Trees: bit for bit. Logistic starts Newton from the previous solution: the same optimum to its tolerance.
      if (name === 'logistic') for (let i = 0; i < fresh.length; i++) expect(reused[i]).toBeCloseTo(fresh[i], 9);
      else expect(Array.from(reused)).toEqual(Array.from(fresh));
      expect(reused.some((v) => v !== reused[0])).toBe(true);
    }
  });
});
