#!/usr/bin/env node
/**
 * Milliseconds per zero-order step (the 2K fits and the batch scoring; privatisation excluded) with
 * the fits inline on the main thread and on a worker-thread pool of 1 and 2 workers, per learner
 * (registry defaults), for K directions, m synthetic rows, d = 30 and a batch of 256 real rows
 * (generated: uniform features, labels / exponential survival times depending on the first one).
 * The three set-ups alternate step by step for `rounds` rounds, so a slow spell of the shared
 * machine hits all of them, and each figure is the median over the rounds of the mean step time.
 * Every pooled step's loss differences are compared bit for bit with the inline ones.
 *
 * Also measures the pool's messaging cost: a step of a nearly free learner (CART of depth 1 on
 * m = 4 rows, K = 2, batch of 8) pooled on 2 workers minus inline — the threshold below which
 * `AdaptiveDirectionEvaluator` does not start the pool.
 *
 * Run: `npm run build && node dist/bench/parallelSteps.js [--learners rf,gbt,rsf,cox] [--K 4,16] [--m 200] [--rounds 3] [--steps 3]`.
 */
import { matrix } from '../core/matrix.js';
import { SeededRng } from '../core/rng.js';
import { parseCard } from '../data/card.js';
import { Encoder } from '../data/encoding.js';
import { PerRecordLoss, type LearnerRecipe, type LossSpec } from '../condense/objective.js';
import { SyntheticParameters } from '../condense/syntheticSet.js';
import { InlineDirectionEvaluator, drawDirections, type DirectionEvaluator, type DirectionRequest } from '../condense/zerothOrder.js';
import { ParallelDirectionEvaluator } from '../node/parallel/directionPool.js';
import { createLearner, getLearnerSpec } from '../models/registry.js';
import type { Target } from '../models/types.js';
import { median } from './learnerEval.js';
import { argument, isEntryPoint, report } from './script.js';

const D = 30;
const BATCH = 256;

export interface ParallelStepResult {
  learner: string;
  K: number;
  m: number;
  inlineMs: number;
  pool1Ms: number;
  pool2Ms: number;
  /** inline / 2 workers, and 1 worker / 2 workers. */
  speedup: number;
  speedupOverPool1: number;
  identical: boolean;
}

interface Problem {
  synthetic: SyntheticParameters;
  recipe: LearnerRecipe;
  lossSpec: LossSpec;
  request: DirectionRequest;
  rng: SeededRng;
}

function makeProblem(learner: string, K: number, m: number, batch: number, params: Record<string, unknown> = {}): Problem {
  const task = getLearnerSpec(learner).task;
  const rng = new SeededRng(7);
  const card = parseCard({
    name: 'bench',
    task,
    ...(task === 'classification' ? { label: 'y', positive: 1 } : { time: 't', event: 'e' }),
    features: Array.from({ length: D }, (_, j) => ({ name: `x${j}`, type: 'numeric', bounds: [0, 1] })),
  } as Record<string, unknown>);
  const encoder = new Encoder(card);
  const rows = matrix(m, D);
  for (let i = 0; i < rows.data.length; i++) rows.data[i] = rng.uniform();
  const exponentialTimes = (n: number, X: Float64Array) => {
    const time = new Float64Array(n);
    const event = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      time[i] = -Math.log(1 - rng.uniform()) / Math.exp(2 * X[i * D]) + 1e-3;
      event[i] = rng.uniform() < 0.7 ? 1 : 0;
    }
    event[0] = 1;
    return { time, event };
  };
  const syntheticTarget: Target =
    task === 'classification' ? { task, y: Uint8Array.from({ length: m }, (_, i) => (i < m / 2 ? 0 : 1)) } : { task, ...exponentialTimes(m, rows.data) };
  const synthetic = new SyntheticParameters(encoder, rows, syntheticTarget);
  const batchX = matrix(batch, D);
  for (let i = 0; i < batchX.data.length; i++) batchX.data[i] = rng.uniform();
  const batchTarget: Target =
    task === 'classification'
      ? { task, y: Uint8Array.from({ length: batch }, (_, i) => (rng.uniform() < 0.2 + 0.6 * batchX.data[i * D] ? 1 : 0)) }
      : { task, ...exponentialTimes(batch, batchX.data) };
  const lossSpec: LossSpec =
    task === 'classification' ? { task, kind: 'brier', pMin: 0.01, classWeights: [1, 1] } : { task, grid: Float64Array.from({ length: 10 }, (_, k) => 0.1 * (k + 1)), pMin: 0.01 };
  const recipe: LearnerRecipe = { name: learner, task, params: { ...createLearner(learner, params, new SeededRng(0)).params } };
  const { directions, seeds } = drawDirections(K, synthetic.size, rng);
  return { synthetic, recipe, lossSpec, rng, request: { parameters: synthetic.values, directions, seeds, smoothing: 0.3, batchX, batchTarget } };
}

/** Mean ms per step over `steps` steps, each with fresh directions and seeds. */
async function timeSteps(evaluator: DirectionEvaluator, problem: Problem, steps: number, check?: (differences: Float64Array) => void): Promise<number> {
  let total = 0;
  for (let s = 0; s < steps; s++) {
    const started = performance.now();
    const result = await evaluator.evaluateDirections(problem.request);
    total += performance.now() - started;
    check?.(result.differences);
  }
  return total / steps;
}

async function compare(problem: Problem, rounds: number, steps: number): Promise<{ inline: number[]; pool1: number[]; pool2: number[]; identical: boolean }> {
  const K = problem.request.seeds.length;
  const setup = { synthetic: problem.synthetic, learners: [problem.recipe], lossSpec: problem.lossSpec, directions: K, batchCapacity: problem.request.batchX.rows };
  const inline = new InlineDirectionEvaluator(problem.synthetic, new PerRecordLoss([problem.recipe], problem.lossSpec, setup.batchCapacity), K, setup.batchCapacity);
  const pool1 = new ParallelDirectionEvaluator(setup, 1);
  const pool2 = new ParallelDirectionEvaluator(setup, 2);
  const reference = (await inline.evaluateDirections(problem.request)).differences.slice();
  let identical = true;
  const same = (differences: Float64Array) => {
    for (let i = 0; i < reference.length; i++) if (!Object.is(differences[i], reference[i])) identical = false;
  };
  // Warm-up: starts the workers and lets V8 optimise the kernels on every thread.
  await timeSteps(pool1, problem, 1, same);
  await timeSteps(pool2, problem, 2, same);
  await timeSteps(inline, problem, 1);
  const times = { inline: [] as number[], pool1: [] as number[], pool2: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    times.inline.push(await timeSteps(inline, problem, steps));
    times.pool1.push(await timeSteps(pool1, problem, steps, same));
    times.pool2.push(await timeSteps(pool2, problem, steps, same));
  }
  await Promise.all([pool1.close(), pool2.close()]);
  return { ...times, identical };
}

export async function runParallelStepBench(learners: string[], Ks: number[], m: number, rounds = 3, steps = 3): Promise<ParallelStepResult[]> {
  const results: ParallelStepResult[] = [];
  for (const learner of learners) {
    for (const K of Ks) {
      const t = await compare(makeProblem(learner, K, m, BATCH), rounds, steps);
      const [inlineMs, pool1Ms, pool2Ms] = [median(t.inline), median(t.pool1), median(t.pool2)];
      results.push({ learner, K, m, inlineMs, pool1Ms, pool2Ms, speedup: inlineMs / pool2Ms, speedupOverPool1: pool1Ms / pool2Ms, identical: t.identical });
    }
  }
  return results;
}

/** Pooled (2 workers) minus inline ms per step for a nearly free step: the messaging overhead. */
export async function measureMessagingOverhead(rounds = 5, steps = 50): Promise<{ inlineMs: number; pool2Ms: number; overheadMs: number }> {
  const t = await compare(makeProblem('cart', 2, 4, 8, { maxDepth: 1 }), rounds, steps);
  const inlineMs = median(t.inline);
  const pool2Ms = median(t.pool2);
  return { inlineMs, pool2Ms, overheadMs: pool2Ms - inlineMs };
}

export function formatParallelSteps(results: ParallelStepResult[], overhead?: { inlineMs: number; pool2Ms: number; overheadMs: number }): string {
  const lines = [`ms per step (2K fits, batch ${BATCH}, d = ${D}), median over rounds; speedup = inline / 2 workers:`];
  lines.push(`  ${'learner'.padEnd(9)} ${'K'.padStart(3)} ${'m'.padStart(4)} ${'inline'.padStart(9)} ${'1 worker'.padStart(9)} ${'2 workers'.padStart(10)} ${'speedup'.padStart(8)} ${'vs 1 w.'.padStart(8)}  identical`);
  for (const r of results) {
    lines.push(
      `  ${r.learner.padEnd(9)} ${String(r.K).padStart(3)} ${String(r.m).padStart(4)} ${r.inlineMs.toFixed(2).padStart(9)} ${r.pool1Ms.toFixed(2).padStart(9)} ${r.pool2Ms.toFixed(2).padStart(10)} ${`${r.speedup.toFixed(2)}x`.padStart(8)} ${`${r.speedupOverPool1.toFixed(2)}x`.padStart(8)}  ${r.identical ? 'yes' : 'NO'}`,
    );
  }
  if (overhead) {
    lines.push(`  messaging: a nearly free step takes ${overhead.inlineMs.toFixed(3)} ms inline, ${overhead.pool2Ms.toFixed(3)} ms on 2 workers (overhead ${overhead.overheadMs.toFixed(3)} ms per step)`);
  }
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const value = (name: string, fallback: string) => argument(name) ?? fallback;
  const learners = value('--learners', 'logistic,cart,rf,gbt,cox,survtree,rsf').split(',');
  const Ks = value('--K', '4,16').split(',').map(Number);
  report(
    (async () => {
      const overhead = await measureMessagingOverhead();
      const results = await runParallelStepBench(learners, Ks, Number(value('--m', '200')), Number(value('--rounds', '3')), Number(value('--steps', '3')));
      return formatParallelSteps(results, overhead);
    })(),
  );
}
