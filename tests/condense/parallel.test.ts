/**
 * The isomorphic pieces of the direction pools (src/condense/parallel), shared by Node's worker
 * threads and the browser's Web Workers, checked here without threads: workers that run in this
 * thread, fed by the same shared-memory step writer and built from a structured clone of the same
 * setup message, must give runs bit-identical to the inline evaluator for any number of workers
 * (including through a reallocation of the buffers); and the automatic rule reports its choice.
 */
import { describe, expect, it } from 'vitest';
import { condense, type CondenseOptions } from '../../src/condense/condense.js';
import { AdaptiveDirectionEvaluator, poolEvaluators, type PooledDirectionEvaluator } from '../../src/condense/parallel/adaptive.js';
import { DirectionPoolWorker, workerSetupOf } from '../../src/condense/parallel/poolWorker.js';
import { SharedStepWriter } from '../../src/condense/parallel/sharedStep.js';
import type { DirectionEvaluation, DirectionRequest, EvaluatorSetup, InlineDirectionEvaluator } from '../../src/condense/zerothOrder.js';
import { formatTableCsv } from '../../src/data/format.js';
import { dataset } from './helpers.js';

/** A pool whose workers run in this thread, one task each per step, in reverse order (which worker runs what must not matter). */
class InThreadPool implements PooledDirectionEvaluator {
  private readonly workers: DirectionPoolWorker[];
  private readonly step: SharedStepWriter;
  tasks = 0;

  /** With `callingThread`, that evaluator claims first, as Node's calling thread does while its workers start. */
  constructor(setup: EvaluatorSetup, size: number, private readonly callingThread?: InlineDirectionEvaluator) {
    // What a worker receives is a structured clone of the setup message, as postMessage/workerData make.
    this.workers = Array.from({ length: size }, () => new DirectionPoolWorker(structuredClone(workerSetupOf(setup))));
    this.step = new SharedStepWriter(setup);
  }

  claimedHere = 0;

  async evaluateDirections(request: DirectionRequest): Promise<DirectionEvaluation> {
    const tasks = this.step.publish(request, this.workers.length);
    if (this.callingThread) this.claimedHere += this.step.evaluateHere(this.callingThread, request);
    for (let t = tasks.length - 1; t >= 0; t--) this.workers[t].run(tasks[t]);
    this.tasks += tasks.length;
    return this.step.collect();
  }

  async close(): Promise<void> {}
}

async function run(datasetName: string, options: Omit<CondenseOptions, 'train'>, pool?: (setup: EvaluatorSetup, inline: InlineDirectionEvaluator) => PooledDirectionEvaluator): Promise<string> {
  const data = await dataset(datasetName);
  const result = await condense({ ...options, train: data.train }, { evaluator: pool && ((setup, inline) => pool(setup, inline)) });
  return formatTableCsv(result.synthetic) + JSON.stringify(result.trace);
}

describe('direction pools: the shared step and the pool workers', () => {
  it('give runs bit-identical to the inline evaluator with 1 or 3 workers (classification and survival), through buffer growth', async () => {
    const cases: [string, Omit<CondenseOptions, 'train'>][] = [
      ['pima', { learners: [{ name: 'rf', params: { nTrees: 3 } }, 'cart'], rows: 10, epsilon: 3, steps: 3, directions: 5, batchSize: 64, seed: 5 }],
      ['metabric', { learners: ['cox'], rows: 8, epsilon: 2, steps: 3, directions: 4, seed: 6 }],
      // Tied row groups (optimised times too): the directions reach the pool already broadcast over the rows.
      ['metabric', { learners: ['cox'], rows: 9, epsilon: 2, steps: 3, directions: 3, rowGroups: 4, optimiseTimes: true, seed: 7 }],
      // Learned row weights: the workers rebuild the weight block from the set's state (with times, two per-row blocks).
      ['pima', { learners: ['logistic', 'cart'], rows: 10, epsilon: 3, steps: 3, directions: 4, rowWeights: true, seed: 8 }],
      ['metabric', { learners: ['cox'], rows: 9, epsilon: 2, steps: 3, directions: 3, rowGroups: 4, optimiseTimes: true, rowWeights: true, seed: 9 }],
      // The averaged iterates: read on this thread from the parameters every evaluator leaves the same.
      ['pima', { learners: ['logistic', 'cart'], rows: 10, epsilon: 3, steps: 4, directions: 4, rowWeights: true, iterateAverage: 'tail', seed: 8 }],
      // The focused steps: the frozen coordinates are zeroed in the directions before any evaluator sees them (tied rows too).
      ['pima', { learners: ['logistic', 'cart'], rows: 10, epsilon: 3, steps: 3, directions: 4, featureFocus: 3, seed: 8 }],
      ['metabric', { learners: ['cox'], rows: 9, epsilon: 2, steps: 3, directions: 3, rowGroups: 4, optimiseTimes: true, featureFocus: 3, seed: 9 }],
    ];
    for (const [name, options] of cases) {
      const inline = await run(name, options);
      if (options.rowGroups !== undefined) expect(inline).not.toBe(await run(name, { ...options, rowGroups: 'off' }));
      if (options.iterateAverage !== undefined) expect(inline).not.toBe(await run(name, { ...options, iterateAverage: 'off' }));
      if (options.featureFocus !== undefined) expect(inline).not.toBe(await run(name, { ...options, featureFocus: 'off' }));
      for (const size of [1, 3]) {
        let pool: InThreadPool | undefined;
        // Capacity 4 rows against batches of dozens: the writer must reallocate (a new generation).
        expect(await run(name, options, (setup) => (pool = new InThreadPool({ ...setup, batchCapacity: 4 }, size))), `${name}, ${size} workers`).toBe(inline);
        expect(pool!.tasks).toBe(options.steps! * Math.min(size, options.directions!));
      }
    }
  });

  it("give the same runs when the calling thread claims evaluations into the shared results (Node's pool with the main thread taking part)", async () => {
    const options: Omit<CondenseOptions, 'train'> = { learners: [{ name: 'rf', params: { nTrees: 3 } }, 'cart'], rows: 10, epsilon: 3, steps: 3, directions: 5, batchSize: 64, seed: 5 };
    const inline = await run('pima', options);
    let pool: InThreadPool | undefined;
    expect(await run('pima', options, (setup, callingThread) => (pool = new InThreadPool({ ...setup, batchCapacity: 4 }, 1, callingThread)))).toBe(inline);
    // Here the calling thread claims first, so it runs all 2K evaluations of every step.
    expect(pool!.claimedHere).toBe(options.steps! * 2 * options.directions!);
  });
});

describe('poolEvaluators: when a pool is used', () => {
  const request = {} as DirectionRequest;
  const empty = (): DirectionEvaluation => ({ differences: new Float64Array(0), sums: new Float64Array(0) });
  const inlineTaking = (ms: number) =>
    ({
      evaluateNow: () => {
        const until = performance.now() + ms;
        while (performance.now() < until);
        return empty();
      },
    }) as unknown as InlineDirectionEvaluator;
  const fastPool = (): PooledDirectionEvaluator => ({ evaluateDirections: async () => empty(), close: async () => {} });
  const setup = {} as EvaluatorSetup;

  it('auto with one worker is the inline evaluator itself; always starts the pool at once', () => {
    const inline = inlineTaking(0);
    expect(poolEvaluators(fastPool, 1, 'auto').factory(setup, inline)).toBe(inline);
    let started = 0;
    poolEvaluators(() => (started++, fastPool()), 2, 'always').factory(setup, inline);
    expect(started).toBe(1);
  });

  it('auto reports its choice once: inline for cheap fits (no pool started), the pool when its timed steps are faster', async () => {
    for (const [ms, expected, pools] of [[0, 'inline', 0], [12, 'parallel', 1]] as const) {
      const decisions: string[] = [];
      let started = 0;
      const evaluator = poolEvaluators(() => (started++, fastPool()), 2, 'auto', (choice) => decisions.push(choice)).factory(setup, inlineTaking(ms));
      // Past the timed inline steps and the timed pool steps, whatever their number.
      const steps = AdaptiveDirectionEvaluator.INLINE_STEPS + AdaptiveDirectionEvaluator.POOL_STEPS + 2;
      for (let s = 0; s < steps; s++) await evaluator.evaluateDirections(request);
      expect(decisions).toEqual([expected]);
      expect(started).toBe(pools);
    }
  });
});
