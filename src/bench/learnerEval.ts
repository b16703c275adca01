/**
 * The cost of ONE zero-order function evaluation per learner: fit on m synthetic rows × d
 * features, then predict B real rows (classification: predictProba; survival: predictSurvival on
 * a 20-point time grid). This is the unit of work the condensation loop repeats 2K times per
 * step, so it decides how many steps fit in a time budget.
 *
 * The protocol mirrors the scikit-learn anchor (`shared/anchors/sklearn_eval_bench.py`) so the
 * two numbers can be divided: X̃ ~ U(0,1)^{m×d}, labels half 0 / half 1, B real rows ~ U(0,1)^d;
 * every evaluation fits on a fresh perturbation X̃ + 0.01·N(0, I) (as a zero-order step would),
 * and the time per evaluation is the median over `repeats` loops of `seconds` each, after a
 * warm-up loop that lets V8 optimise the kernels.
 *
 * The perturbation's normal draws come from a pool drawn once up front (each evaluation reads
 * m·d of them at a random offset), so the timing measures the learner rather than our Gaussian
 * sampler; the anchor's own draw (numpy, about 10 µs for 50×30) stays inside its number, which
 * slightly favours us by that amount.
 */
import { type Matrix, matrix } from '../core/matrix.js';
import { SeededRng } from '../core/rng.js';
import { createLearner, getLearnerSpec } from '../models/registry.js';
import type { ClassificationTarget, Learner, SurvivalTarget } from '../models/types.js';

export interface EvalBenchCase {
  /** Name shown in the report and accepted by `--only`. */
  name: string;
  learner: string;
  params: Record<string, number | string | boolean>;
  /** Short description of `params` for the report (default: the params themselves). */
  paramsLabel?: string;
  /** Key of the matching scikit-learn anchor line, if there is one. */
  anchor?: string;
  /** The anchor line is a different configuration: its ratio is shown for information, not judged. */
  anchorConfigDiffers?: boolean;
}

export interface EvalBenchOptions {
  m: number;
  d: number;
  B: number;
  repeats: number;
  seconds: number;
  warmupSeconds: number;
  seed: number;
}

export interface EvalBenchResult {
  name: string;
  learner: string;
  params: Record<string, number | string | boolean>;
  m: number;
  d: number;
  B: number;
  /** Milliseconds per evaluation, one per repeat. */
  repeatsMs: number[];
  medianMs: number;
  evaluationsTimed: number;
  /** Sum of one predicted value per evaluation: keeps the work observable (and shows NaN predictions). */
  checksum: number;
}

export const SURVIVAL_GRID_POINTS = 20;

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

const NOISE_POOL_SIZE = 1 << 16;

interface EvalProblem {
  noisePool: Float64Array;
  synthetic: Matrix;
  perturbed: Matrix;
  real: Matrix;
  classification: ClassificationTarget;
  survival: SurvivalTarget;
  timeGrid: Float64Array;
}

function makeProblem(o: EvalBenchOptions, rng: SeededRng): EvalProblem {
  const synthetic = matrix(o.m, o.d);
  for (let k = 0; k < synthetic.data.length; k++) synthetic.data[k] = rng.uniform();
  const real = matrix(o.B, o.d);
  for (let k = 0; k < real.data.length; k++) real.data[k] = rng.uniform();
  const y = new Uint8Array(o.m);
  for (let i = Math.floor(o.m / 2); i < o.m; i++) y[i] = 1;
  // Survival: exponential times whose rate rises with the first feature, ~70% events.
  const time = new Float64Array(o.m);
  const event = new Uint8Array(o.m);
  for (let i = 0; i < o.m; i++) {
    const rate = Math.exp(o.d > 0 ? synthetic.data[i * o.d] : 0);
    time[i] = -Math.log(1 - rng.uniform()) / rate + 1e-3;
    event[i] = rng.uniform() < 0.7 ? 1 : 0;
  }
  event[0] = 1;
  let maxTime = 0;
  for (let i = 0; i < o.m; i++) maxTime = Math.max(maxTime, time[i]);
  const timeGrid = new Float64Array(SURVIVAL_GRID_POINTS);
  for (let k = 0; k < SURVIVAL_GRID_POINTS; k++) timeGrid[k] = ((k + 1) / SURVIVAL_GRID_POINTS) * maxTime;
  const noisePool = new Float64Array(Math.max(NOISE_POOL_SIZE, 2 * o.m * o.d));
  for (let k = 0; k < noisePool.length; k++) noisePool[k] = rng.normal();
  return {
    noisePool,
    synthetic,
    perturbed: matrix(o.m, o.d),
    real,
    classification: { task: 'classification', y },
    survival: { task: 'survival', time, event },
    timeGrid,
  };
}

/** One evaluation: perturb, fit, predict. Returns a value derived from the prediction so no work is dead. */
function evaluateOnce(learner: Learner, p: EvalProblem, rng: SeededRng, out: Float64Array): number {
  const s = p.synthetic.data;
  const z = p.perturbed.data;
  const noise = p.noisePool;
  const offset = rng.int(noise.length - s.length + 1);
  for (let k = 0; k < s.length; k++) z[k] = s[k] + 0.01 * noise[offset + k];
  if (learner.task === 'classification') {
    const model = learner.fit(p.perturbed, p.classification);
    model.predictProba(p.real, out);
    return out[0];
  }
  const model = learner.fit(p.perturbed, p.survival);
  model.predictSurvival(p.real, p.timeGrid, out);
  return out[out.length - 1];
}

/** Time one case; the learner is created once and reused across evaluations, as condensation does. */
export function runEvalBench(c: EvalBenchCase, o: EvalBenchOptions): EvalBenchResult {
  const rng = new SeededRng(o.seed);
  const problem = makeProblem(o, rng);
  const spec = getLearnerSpec(c.learner);
  const learner = createLearner(c.learner, c.params, rng.fork());
  const out = new Float64Array(spec.task === 'survival' ? o.B * SURVIVAL_GRID_POINTS : o.B);
  let sink = 0;
  const loop = (seconds: number): { ms: number; count: number } => {
    const t0 = performance.now();
    const budget = seconds * 1000;
    let count = 0;
    let elapsed = 0;
    do {
      sink += evaluateOnce(learner, problem, rng, out);
      count++;
      elapsed = performance.now() - t0;
    } while (elapsed < budget);
    return { ms: elapsed / count, count };
  };
  if (o.warmupSeconds > 0) loop(o.warmupSeconds);
  const repeatsMs: number[] = [];
  let evaluationsTimed = 0;
  for (let r = 0; r < o.repeats; r++) {
    const { ms, count } = loop(o.seconds);
    repeatsMs.push(ms);
    evaluationsTimed += count;
  }
  return {
    name: c.name,
    learner: c.learner,
    params: c.params,
    m: o.m,
    d: o.d,
    B: o.B,
    repeatsMs,
    medianMs: median(repeatsMs),
    evaluationsTimed,
    checksum: sink,
  };
}
