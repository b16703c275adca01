/**
 * Worker-thread direction evaluation gives bit-identical runs with 1 or N workers and inline. The
 * workers run the compiled scripts in dist/ (built by `npm ci`/`npm run build`), so the pool module
 * is imported from there too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { condense, type CondenseOptions } from '../../src/condense/condense.js';
import type { DirectionEvaluatorFactory, DirectionRequest, InlineDirectionEvaluator } from '../../src/condense/zerothOrder.js';
import { formatTableCsv } from '../../src/data/format.js';
import { dataset } from '../condense/helpers.js';

type PoolModule = typeof import('../../src/node/parallel/directionPool.js');
const pool: PoolModule = await import(new URL('../../dist/node/parallel/directionPool.js', import.meta.url).href);

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function run(options: Omit<CondenseOptions, 'train'>, datasetName: string, evaluator?: DirectionEvaluatorFactory): Promise<string> {
  const data = await dataset(datasetName);
  const result = await condense({ ...options, train: data.train }, { evaluator });
  return formatTableCsv(result.synthetic) + JSON.stringify(result.trace);
}

function pooled(workers: number): DirectionEvaluatorFactory {
  const { factory, close } = pool.workerPoolEvaluators(workers, 'always');
  closers.push(close);
  return factory;
}

describe('parallel direction evaluation', () => {
  it('is bit-identical inline and on 2 or 3 threads, the main one taking part (classification: rf, gbt; survival: rsf with optimised times, cox)', async () => {
    const cases: [string, Omit<CondenseOptions, 'train'>][] = [
      ['pima', { learners: [{ name: 'rf', params: { nTrees: 4 } }, 'cart'], rows: 12, epsilon: 3, steps: 4, directions: 5, batchSize: 64, seed: 3 }],
      ['pima', { learners: [{ name: 'gbt', params: { nRounds: 5 } }], rows: 10, epsilon: 3, steps: 3, directions: 3, batchSize: 48, seed: 6 }],
      ['metabric', { learners: [{ name: 'rsf', params: { nTrees: 3 } }], rows: 9, epsilon: 2, steps: 3, directions: 3, optimiseTimes: true, seed: 4 }],
      ['metabric', { learners: ['cox'], rows: 16, epsilon: 2, steps: 3, directions: 5, seed: 8 }],
    ];
    for (const [name, options] of cases) {
      const inline = await run(options, name);
      expect(await run(options, name, pooled(2))).toBe(inline);
      expect(await run(options, name, pooled(3))).toBe(inline);
    }
  });

  it('grows the shared buffers when a batch exceeds their capacity', async () => {
    // An initial capacity of 8 rows against batches of about 64.
    const data = await dataset('pima');
    const factory: DirectionEvaluatorFactory = (setup, inline) => {
      const evaluator = new pool.ParallelDirectionEvaluator({ ...setup, batchCapacity: 8 }, 2);
      closers.push(() => evaluator.close());
      expect(inline).toBeDefined();
      return evaluator;
    };
    const options = { learners: ['cart'], rows: 10, epsilon: 3, steps: 2, directions: 4, batchSize: 64, seed: 9 };
    const inline = await condense({ ...options, train: data.train });
    const parallel = await condense({ ...options, train: data.train }, { evaluator: factory });
    expect(formatTableCsv(parallel.synthetic)).toBe(formatTableCsv(inline.synthetic));
  });

  it('the adaptive evaluator starts no pool when a step is cheaper than the threshold, and keeps the faster one otherwise', async () => {
    const request = {} as DirectionRequest;
    const inlineCalls: number[] = [];
    // A fake inline evaluator that takes 3 ms a step, and a fake pool that answers at once.
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const inline = { evaluateNow: () => (busy(3), inlineCalls.push(1), { differences: new Float64Array(0), sums: new Float64Array(0) }) } as unknown as InlineDirectionEvaluator;
    let started = 0;
    const startPool = () => {
      started++;
      return { evaluateDirections: async () => ({ differences: new Float64Array(0), sums: new Float64Array(0) }), close: async () => {} } as unknown as InstanceType<PoolModule['ParallelDirectionEvaluator']>;
    };
    const { INLINE_STEPS, POOL_STEPS } = pool.AdaptiveDirectionEvaluator;
    const steps = INLINE_STEPS + POOL_STEPS + 2;
    const cheap = new pool.AdaptiveDirectionEvaluator(inline, startPool, Infinity);
    for (let s = 0; s < steps; s++) await cheap.evaluateDirections(request);
    expect(started).toBe(0);
    expect(cheap.decision).toBe('inline');
    expect(inlineCalls.length).toBe(steps);
    // Threshold 0: the pool is tried after the inline steps and, being faster, kept.
    const costly = new pool.AdaptiveDirectionEvaluator(inline, startPool, 0);
    for (let s = 0; s < INLINE_STEPS + POOL_STEPS - 1; s++) await costly.evaluateDirections(request);
    expect(costly.decision).toBe('undecided');
    for (let s = INLINE_STEPS + POOL_STEPS - 1; s < steps; s++) await costly.evaluateDirections(request);
    expect(started).toBe(1);
    expect(costly.decision).toBe('parallel');
    expect(inlineCalls.length).toBe(steps + INLINE_STEPS);
  });
});
