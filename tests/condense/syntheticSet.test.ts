import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { SeededRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/data/encoding.js';
import { SyntheticParameters, allocateRows, initialiseUniform } from '../../src/condense/syntheticSet.js';
import { dataset } from './helpers.js';

describe('allocateRows', () => {
  it('balanced: even split, remainder to the first strata', () => {
    expect(Array.from(allocateRows(7, [100, 5], 'balanced'))).toEqual([4, 3]);
  });
  it('proportional: follows the counts with a minimum per stratum, largest remainders first', () => {
    expect(Array.from(allocateRows(10, [70, 20, 10], 'proportional', 2))).toEqual([5, 3, 2]);
    expect(Array.from(allocateRows(6, [-3, 50, 50], 'proportional', 2))).toEqual([2, 2, 2]);
    expect(() => allocateRows(5, [1, 1, 1], 'proportional', 2)).toThrow(RangeError);
  });
});

describe('SyntheticParameters', () => {
  it('projects into the encoder box; optimised survival times are log-times clamped to their box', async () => {
    const { card } = await dataset('rotterdam');
    const encoder = new Encoder(card);
    const rows = initialiseUniform(encoder, 6, new SeededRng(1));
    const time = Float64Array.of(10, 100, 1000, 5, 50, 5000);
    const event = Uint8Array.of(1, 1, 0, 1, 0, 0);
    const synthetic = new SyntheticParameters(encoder, rows, { task: 'survival', time, event }, [Math.log(8), Math.log(2000)]);
    expect(synthetic.size).toBe(6 * encoder.dim + 6);
    const values = synthetic.values.slice();
    values.fill(1e6, 0, encoder.dim); // push row 0 out of the box
    values[6 * encoder.dim + 1] = Math.log(1e9);
    synthetic.project(values);
    for (let j = 0; j < encoder.dim; j++) expect(values[j]).toBeLessThanOrEqual(encoder.upper[j]);
    const outcome = synthetic.outcome(values);
    expect(outcome.task === 'survival' && Array.from(outcome.time).map((t) => Math.round(t))).toEqual([10, 2000, 1000, 8, 50, 2000]);
    const X = matrix(6, encoder.dim);
    const target = synthetic.materialise(values, X);
    expect(target.task === 'survival' && Array.from(target.event)).toEqual(Array.from(event));
  });

  it('without optimised times the outcome is the fixed target', async () => {
    const { card } = await dataset('pima');
    const encoder = new Encoder(card);
    const y = Uint8Array.of(0, 0, 1, 1);
    const synthetic = new SyntheticParameters(encoder, initialiseUniform(encoder, 4, new SeededRng(2)), { task: 'classification', y });
    expect(synthetic.size).toBe(4 * encoder.dim);
    expect(synthetic.outcome(synthetic.values)).toEqual({ task: 'classification', y });
  });
});
