import { describe, expect, it } from 'vitest';
import { smallCohorts, subsampleCohort } from '../../src/bench/smallCohorts.js';
import { cohortFigure } from '../../src/condense/cohortSize.js';
import { dataset } from '../condense/helpers.js';

describe('smallCohorts', () => {
  it('subsamples the training split to n distinct records, the same draw every time, and all of it at or above its size', async () => {
    const train = (await dataset('rotterdam')).train;
    const a = subsampleCohort(train, 300);
    expect(a.nRows).toBe(300);
    expect(Array.from(subsampleCohort(train, 300).time!)).toEqual(Array.from(a.time!));
    // Not simply the first 300 rows.
    expect(Array.from(a.time!)).not.toEqual(Array.from(train.time!.subarray(0, 300)));
    expect(subsampleCohort(train, train.nRows + 5)).toBe(train);
  });

  it('reports one line per learner with the cohort figure of the subsample and the difference of the means', async () => {
    const text = await smallCohorts({ datasets: ['pima'], sizes: [200], epsilons: [Infinity], seeds: 1, learners: { classification: ['logistic'] } });
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    const cells = lines[1].split(' | ');
    expect(cells.slice(0, 3)).toEqual(['pima', '200', 'Infinity']);
    expect(Number(cells[3])).toBe(Number(cohortFigure(8, 200, Infinity, 1e-5).toFixed(4)));
    const mean = (cell: string) => Number(cell.split(' ')[0]);
    expect(Number(cells[7])).toBeCloseTo(mean(cells[6]) - mean(cells[5]), 2);
  });
});
