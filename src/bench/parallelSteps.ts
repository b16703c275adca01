#!/usr/bin/env node
/**
 * Milliseconds per zero-order step (the 2K fits and the batch scoring; privatisation excluded) with
 * the fits inline on the main thread, on 2 worker threads beside an idle main thread, and on 2
 * threads (the main thread claiming evaluations beside one worker: what `--workers 2` runs), per learner
 * (registry defaults), for K directions, m synthetic rows, d = 30 and a batch of 256 real rows
 * (generated: uniform features, labels / exponential survival times depending on the first one).
 * The three set-ups alternate step by step for `rounds` rounds, so a slow spell of the shared
 * machine hits all of them, and each figure is the median over the rounds of the mean step time.
 * Every pooled step's loss differences are compared bit for bit with the inline ones.
 *
 * On Linux each figure comes with the CPU time per thread (`threadCpu.ts`), which a busy shared
 * machine distorts far less than wall time: per step the main thread's CPU inline, and with 2
 * threads the main thread's (its evaluations plus publishing the step, messaging, combining), the
 * worker's and V8's helper threads' (JIT compilation, GC). `cpu speedup` = inline main-thread CPU
 * / the mean of the two threads' CPU: the speedup two idle cores would give if messaging latency,
 * helper threads and the last claimed evaluation cost nothing. (On a busy machine the two
 * threads' CPU differs because the one descheduled longer claims fewer evaluations; on idle cores
 * claiming keeps their busy times within one evaluation of each other.)
 *
 * Also measures the pool's messaging cost: a step of a nearly free learner (CART of depth 1 on
 * m = 4 rows, K = 2, batch of 8) pooled on 2 workers minus inline — the threshold below which
 * `AdaptiveDirectionEvaluator` does not start the pool.
 *
 * Every evaluator is warmed up (workers started, kernels optimised by V8 on every thread) before
 * anything is timed (`warmUp`).
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
import { type CpuSplit, splitCpu, threadCpuAvailable, threadCpuMs, threadCpuSnapshot } from './threadCpu.js';

const D = 30;
const BATCH = 256;
/**
 * Warm-up per evaluator: at least WARMUP_STEPS steps, and more until WARMUP_FITS fits have run and
 * WARMUP_MIN_MS have passed (WARMUP_MS at most). V8 optimises each thread's code separately, and a worker doing half the fits
 * gets there in twice the steps: Cox's step at m = 200, K = 4 kept getting cheaper for about 30
 * steps (240 fits) on 2 workers, as per-step CPU and --trace-opt showed. Cheap fits also need
 * WARMUP_MIN_MS of running: Cox's 320 fits take about 0.1 s on 2 threads, before V8's concurrent
 * compiler has finished on the worker, and a Cox-only run then timed the pooled evaluations at
 * 1.4–1.9× the inline CPU (with rf run first, both equal). A real run's 300 steps at K = 16 are
 * 9600 fits, so the steady state is what a user gets.
 */
const WARMUP_STEPS = 3;
const WARMUP_FITS = 320;
const WARMUP_MIN_MS = 1000;
const WARMUP_MS = 5000;

export interface ParallelStepResult {
  learner: string;
  K: number;
  m: number;
  inlineMs: number;
  /** 2 worker threads, the main thread idle. */
  workers2Ms: number;
  /** 2 threads: the main thread and one worker. */
  pool2Ms: number;
  /** inline / 2 threads, and 2 workers / 2 threads. */
  speedup: number;
  speedupOverWorkers2: number;
  identical: boolean;
  /** CPU ms per step by thread (medians over rounds; absent where /proc is not available). */
  cpu?: {
    inlineMainMs: number;
    inlineHelpersMs: number;
    /** With 2 threads: the main thread (its evaluations and the step's serial part) and the worker. */
    pool2MainMs: number;
    pool2WorkerMs: number;
    pool2HelpersMs: number;
    /** inline main / the mean of the 2 threads. */
    speedup: number;
    /**
     * CPU ms per evaluation (one fit and its batch scoring): inline, and on each of the 2 threads
     * (its CPU over the evaluations it claimed; the main thread's includes the step's serial part).
     */
    inlinePerEvaluationMs: number;
    pool2MainPerEvaluationMs: number;
    pool2WorkerPerEvaluationMs: number;
  };
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

interface Timing {
  /** Mean wall ms per step. */
  ms: number;
  /** CPU ms per step and thread. */
  cpu: Map<number, number>;
}

/** Mean ms per step over `steps` steps (and CPU per thread), each with fresh directions and seeds. */
async function timeSteps(evaluator: DirectionEvaluator, problem: Problem, steps: number, check?: (differences: Float64Array) => void): Promise<Timing> {
  let total = 0;
  const before = threadCpuSnapshot();
  for (let s = 0; s < steps; s++) {
    const started = performance.now();
    const result = await evaluator.evaluateDirections(problem.request);
    total += performance.now() - started;
    check?.(result.differences);
  }
  const cpu = threadCpuMs(before, threadCpuSnapshot());
  for (const [tid, ms] of cpu) cpu.set(tid, ms / steps);
  return { ms: total / steps, cpu };
}

/** Steps until the warm-up rule above is met. */
async function warmUp(evaluator: DirectionEvaluator, problem: Problem, check?: (differences: Float64Array) => void): Promise<void> {
  const started = performance.now();
  const fitsPerStep = 2 * problem.request.seeds.length;
  const warm = (s: number, elapsed: number) => s >= WARMUP_STEPS && s * fitsPerStep >= WARMUP_FITS && elapsed >= WARMUP_MIN_MS;
  for (let s = 0; s < WARMUP_STEPS || (!warm(s, performance.now() - started) && performance.now() - started < WARMUP_MS); s++) await timeSteps(evaluator, problem, 1, check);
}

interface Comparison {
  inline: number[];
  workers2: number[];
  pool2: number[];
  identical: boolean;
  /** Per round: inline and 2-worker CPU split (main, workers, helpers). */
  inlineCpu: CpuSplit[];
  pool2Cpu: CpuSplit[];
  /** Per round: the share of the 2-thread step's evaluations the main thread ran. */
  pool2MainShare: number[];
}

async function compare(problem: Problem, rounds: number, steps: number): Promise<Comparison> {
  const K = problem.request.seeds.length;
  const setup = { synthetic: problem.synthetic, learners: [problem.recipe], lossSpec: problem.lossSpec, directions: K, batchCapacity: problem.request.batchX.rows };
  const inline = new InlineDirectionEvaluator(problem.synthetic, new PerRecordLoss([problem.recipe], problem.lossSpec, setup.batchCapacity), K, setup.batchCapacity);
  const reference = (await inline.evaluateDirections(problem.request)).differences.slice();
  let identical = true;
  const same = (differences: Float64Array) => {
    for (let i = 0; i < reference.length; i++) if (!Object.is(differences[i], reference[i])) identical = false;
  };
  // Warm-up: starts the workers and lets V8 optimise the kernels on every thread. Of the threads
  // that appear while the 2-thread pool warms up, the one that works the most is its worker.
  const workers2 = new ParallelDirectionEvaluator(setup, 2);
  await warmUp(workers2, problem, same);
  const existing = threadCpuSnapshot();
  const caller = new InlineDirectionEvaluator(problem.synthetic, new PerRecordLoss([problem.recipe], problem.lossSpec, setup.batchCapacity), K, setup.batchCapacity);
  const pool2 = new ParallelDirectionEvaluator(setup, 1, caller);
  await warmUp(pool2, problem, same);
  const grown = threadCpuMs(existing, threadCpuSnapshot());
  const workers = [...grown].filter(([tid]) => !existing.has(tid)).sort((a, b) => b[1] - a[1]).slice(0, 1).map(([tid]) => tid);
  await warmUp(inline, problem);
  const result: Comparison = { inline: [], workers2: [], pool2: [], identical, inlineCpu: [], pool2Cpu: [], pool2MainShare: [] };
  for (let r = 0; r < rounds; r++) {
    const a = await timeSteps(inline, problem, steps);
    result.inline.push(a.ms);
    result.inlineCpu.push(splitCpu(a.cpu, []));
    result.workers2.push((await timeSteps(workers2, problem, steps, same)).ms);
    const here = pool2.evaluationsHere;
    const c = await timeSteps(pool2, problem, steps, same);
    result.pool2MainShare.push((pool2.evaluationsHere - here) / (2 * K * steps));
    result.pool2.push(c.ms);
    result.pool2Cpu.push(splitCpu(c.cpu, workers));
  }
  await Promise.all([workers2.close(), pool2.close()]);
  result.identical = identical;
  return result;
}

function cpuSummary(t: Comparison, evaluations: number): ParallelStepResult['cpu'] {
  if (!threadCpuAvailable()) return undefined;
  const inlineMainMs = median(t.inlineCpu.map((c) => c.mainMs));
  const pool2MainMs = median(t.pool2Cpu.map((c) => c.mainMs));
  const pool2WorkerMs = median(t.pool2Cpu.map((c) => c.workersMs[0]));
  return {
    inlinePerEvaluationMs: inlineMainMs / evaluations,
    pool2MainPerEvaluationMs: median(t.pool2Cpu.map((c, r) => c.mainMs / (evaluations * t.pool2MainShare[r]))),
    pool2WorkerPerEvaluationMs: median(t.pool2Cpu.map((c, r) => c.workersMs[0] / (evaluations * (1 - t.pool2MainShare[r])))),
    inlineMainMs,
    inlineHelpersMs: median(t.inlineCpu.map((c) => c.otherMs)),
    pool2MainMs,
    pool2WorkerMs,
    pool2HelpersMs: median(t.pool2Cpu.map((c) => c.otherMs)),
    speedup: inlineMainMs / ((pool2MainMs + pool2WorkerMs) / 2),
  };
}

export async function runParallelStepBench(learners: string[], Ks: number[], m: number, rounds = 3, steps = 3): Promise<ParallelStepResult[]> {
  const results: ParallelStepResult[] = [];
  for (const learner of learners) {
    for (const K of Ks) {
      const t = await compare(makeProblem(learner, K, m, BATCH), rounds, steps);
      const [inlineMs, workers2Ms, pool2Ms] = [median(t.inline), median(t.workers2), median(t.pool2)];
      results.push({ learner, K, m, inlineMs, workers2Ms, pool2Ms, speedup: inlineMs / pool2Ms, speedupOverWorkers2: workers2Ms / pool2Ms, identical: t.identical, cpu: cpuSummary(t, 2 * K) });
    }
  }
  return results;
}

export interface MessagingOverhead {
  inlineMs: number;
  pool2Ms: number;
  overheadMs: number;
  /** Main-thread CPU ms per pooled step (publishing, messaging, combining), where measurable. */
  pool2MainCpuMs?: number;
}

/** Pooled (2 threads) minus inline ms per step for a nearly free step: the messaging overhead. */
export async function measureMessagingOverhead(rounds = 5, steps = 50): Promise<MessagingOverhead> {
  const t = await compare(makeProblem('cart', 2, 4, 8, { maxDepth: 1 }), rounds, steps);
  const inlineMs = median(t.inline);
  const pool2Ms = median(t.pool2);
  return { inlineMs, pool2Ms, overheadMs: pool2Ms - inlineMs, pool2MainCpuMs: cpuSummary(t, 4)?.pool2MainMs };
}

export function formatParallelSteps(results: ParallelStepResult[], overhead?: MessagingOverhead): string {
  const lines = [`ms per step (2K fits, batch ${BATCH}, d = ${D}), median over rounds; speedup = inline / 2 threads (the main thread and 1 worker, as --workers 2):`];
  lines.push(`  ${'learner'.padEnd(9)} ${'K'.padStart(3)} ${'m'.padStart(4)} ${'inline'.padStart(9)} ${'2 workers'.padStart(9)} ${'2 threads'.padStart(10)} ${'speedup'.padStart(8)} ${'vs 2 w.'.padStart(8)}  identical`);
  for (const r of results) {
    lines.push(
      `  ${r.learner.padEnd(9)} ${String(r.K).padStart(3)} ${String(r.m).padStart(4)} ${r.inlineMs.toFixed(2).padStart(9)} ${r.workers2Ms.toFixed(2).padStart(9)} ${r.pool2Ms.toFixed(2).padStart(10)} ${`${r.speedup.toFixed(2)}x`.padStart(8)} ${`${r.speedupOverWorkers2.toFixed(2)}x`.padStart(8)}  ${r.identical ? 'yes' : 'NO'}`,
    );
  }
  if (results.some((r) => r.cpu)) {
    lines.push(`CPU ms per step by thread (median over rounds); cpu speedup = inline main / mean of the 2 threads:`);
    lines.push(`  ${'learner'.padEnd(9)} ${'K'.padStart(3)} ${'inline'.padStart(9)} ${'helpers'.padStart(8)} ${'2t main'.padStart(8)} ${'worker'.padStart(9)} ${'helpers'.padStart(8)} ${'cpu speedup'.padStart(12)}`);
    for (const r of results) {
      if (!r.cpu) continue;
      const c = r.cpu;
      lines.push(
        `  ${r.learner.padEnd(9)} ${String(r.K).padStart(3)} ${c.inlineMainMs.toFixed(2).padStart(9)} ${c.inlineHelpersMs.toFixed(2).padStart(8)} ${c.pool2MainMs.toFixed(2).padStart(8)} ${c.pool2WorkerMs.toFixed(2).padStart(9)} ${c.pool2HelpersMs.toFixed(2).padStart(8)} ${`${c.speedup.toFixed(2)}x`.padStart(12)}`,
      );
    }
    lines.push(`CPU ms per evaluation (one fit and its batch scoring; median over rounds), inline and on each of the 2 threads:`);
    lines.push(`  ${'learner'.padEnd(9)} ${'K'.padStart(3)} ${'inline'.padStart(9)} ${'2t main'.padStart(9)} ${'worker'.padStart(9)}`);
    for (const r of results) {
      if (!r.cpu) continue;
      const c = r.cpu;
      lines.push(`  ${r.learner.padEnd(9)} ${String(r.K).padStart(3)} ${c.inlinePerEvaluationMs.toFixed(3).padStart(9)} ${c.pool2MainPerEvaluationMs.toFixed(3).padStart(9)} ${c.pool2WorkerPerEvaluationMs.toFixed(3).padStart(9)}`);
    }
  }
  if (overhead) {
    lines.push(`  messaging: a nearly free step takes ${overhead.inlineMs.toFixed(3)} ms inline, ${overhead.pool2Ms.toFixed(3)} ms on 2 threads (overhead ${overhead.overheadMs.toFixed(3)} ms per step${overhead.pool2MainCpuMs === undefined ? '' : `; main-thread CPU ${overhead.pool2MainCpuMs.toFixed(3)} ms per pooled step`})`);
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
