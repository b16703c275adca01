import { describe, expect, it } from 'vitest';
import { expectedMinimumOfNormals, worstRelease } from '../../src/bench/worstRelease.js';
import { runCell } from '../../src/bench/experimentCells.js';
import { DEFAULT_LEARNERS } from '../../src/condense/settings.js';

describe('worstRelease', () => {
  it('knows the expected minimum of n standard normals (1: 0; 2: −1/√π; 10: −1.5388, the order-statistics tables)', () => {
    expect(expectedMinimumOfNormals(1)).toBeCloseTo(0, 6);
    expect(expectedMinimumOfNormals(2)).toBeCloseTo(-1 / Math.sqrt(Math.PI), 5);
    expect(expectedMinimumOfNormals(10)).toBeCloseTo(-1.5388, 3);
    expect(() => expectedMinimumOfNormals(0)).toThrow(RangeError);
  });

  it("scores the harness's own tables: its harness column is the experiment grid's score, and the needed mean follows from the spread", async () => {
    const text = await worstRelease({ datasets: ['pima'], learner: 'logistic', epsilon: 3, seeds: 2, firstSeed: 5, evalSeeds: 2 });
    const cells = text.split('\n')[1].split(' | ');
    expect(cells.slice(0, 3)).toEqual(['pima', 'logistic', '3']);
    const grid = await Promise.all(
      [5, 6].map((seed) =>
        runCell({ dataset: 'pima', method: 'dpcondense', epsilon: 3, rows: 20, seed, model: [...DEFAULT_LEARNERS.classification], evalLearners: ['logistic'], settings: {}, external: false }),
      ),
    );
    const scores = grid.map((g) => g.scores.logistic);
    expect(cells[3]).toBe(`${((scores[0] + scores[1]) / 2).toFixed(3)} (${Math.min(...scores).toFixed(3)})`);
    // Logistic regression has no dice: every evaluation seed gives the harness's score.
    expect(Number(cells[5])).toBe(0);
    const [, sd] = cells[4].split(', ').map(Number);
    const randomMean = Number(cells[6].split('; ')[1]);
    expect(Number(cells[7])).toBeCloseTo(randomMean - expectedMinimumOfNormals(2) * sd, 2);
  });
});
