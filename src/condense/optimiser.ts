/**
 * First-order updates of the synthetic parameters from (noisy) gradient estimates, followed by
 * projection onto the encoder's box. SGD with momentum is the default: on noisy zero-order estimates
 * Adam rescales every coordinate to unit step size, so coordinates with no signal random-walk by
 * about lr·√T (observed in the prototype); SGD moves each coordinate in proportion to its evidence.
 */
export type OptimiserKind = 'sgd' | 'adam';

export interface Optimiser {
  /** Update `parameters` in place from `gradient` with learning rate `learningRate`. */
  step(parameters: Float64Array, gradient: Float64Array, learningRate: number): void;
}

export class MomentumSgd implements Optimiser {
  private readonly velocity: Float64Array;
  constructor(size: number, private readonly momentum = 0.9) {
    this.velocity = new Float64Array(size);
  }
  step(parameters: Float64Array, gradient: Float64Array, learningRate: number): void {
    const v = this.velocity;
    for (let i = 0; i < parameters.length; i++) {
      v[i] = this.momentum * v[i] + gradient[i];
      parameters[i] -= learningRate * v[i];
    }
  }
}

export class Adam implements Optimiser {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(size: number, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly epsilon = 1e-8) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  step(parameters: Float64Array, gradient: Float64Array, learningRate: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    for (let i = 0; i < parameters.length; i++) {
      this.m[i] = this.beta1 * this.m[i] + (1 - this.beta1) * gradient[i];
      this.v[i] = this.beta2 * this.v[i] + (1 - this.beta2) * gradient[i] * gradient[i];
      parameters[i] -= (learningRate * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + this.epsilon);
    }
  }
}

export function createOptimiser(kind: OptimiserKind, size: number, momentum: number): Optimiser {
  return kind === 'adam' ? new Adam(size) : new MomentumSgd(size, momentum);
}

/** Reads the iterates of the steps and, after the last, writes what is released into the parameters. */
export interface IterateAverage {
  /** Read `parameters` as they are after step `stepsTaken` (1-based). */
  observe(stepsTaken: number, parameters: Float64Array): void;
  /** Overwrite `parameters` (the last iterate) with the average. */
  writeInto(parameters: Float64Array): void;
}

/** The averaging an `iterateAverage` setting asks for over T steps (undefined: release the last iterate). */
export function createIterateAverage(kind: 'off' | 'tail' | 'ema', size: number, steps: number): IterateAverage | undefined {
  if (kind === 'tail') return new TailAverage(size, steps);
  if (kind === 'ema') return new ExponentialAverage(size, steps);
  return undefined;
}

/**
 * Polyak–Ruppert tail averaging: the uniform mean of the parameters after each step t > T/2.
 * With the learning rate capped so that the DP noise random-walks each coordinate by up to
 * `maxNoiseDrift` over the run, the last iterate carries that walk. Where the loss pulls the rows
 * back (near a minimum) the iterates fluctuate around it and their mean cancels most of the
 * fluctuation; where it does not (a flat loss), the mean of the last half still carries less of
 * the walk than its end point (variance 2T/3 steps' worth instead of T: the walk to T/2 plus a
 * third of the last half's). Free: every iterate is a post-processing of the charged steps'
 * outputs. One accumulator, nothing allocated per step.
 */
export class TailAverage implements IterateAverage {
  private readonly sum: Float64Array;
  /** Steps after which the parameters are added: firstStep..steps. */
  private readonly firstStep: number;
  readonly count: number;

  constructor(size: number, private readonly steps: number) {
    this.sum = new Float64Array(size);
    this.firstStep = Math.floor(steps / 2) + 1;
    this.count = Math.max(0, steps - this.firstStep + 1);
  }

  /** Add `parameters` as they are after step `stepsTaken` (1-based), if that step is in the tail. */
  observe(stepsTaken: number, parameters: Float64Array): void {
    if (stepsTaken < this.firstStep || stepsTaken > this.steps) return;
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) sum[i] += parameters[i];
  }

  /**
   * Overwrite `parameters` with the average (after the last step). With a tail of one iterate
   * (T ≤ 2) the last iterate is the average, and it is left untouched.
   */
  writeInto(parameters: Float64Array): void {
    if (this.count < 2) return;
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) parameters[i] = sum[i] / this.count;
  }
}

/**
 * An exponential moving average of the iterates, e ← d·e + (1 − d)·θ, started at the first step
 * of the tail (t = ⌊T/2⌋ + 1, e = θ there), d = 0.98: a window of about 50 steps that weights the
 * latest iterates most (an alternative to the uniform tail measured in docs/RESULTS.md, "Session
 * 25"). With a tail of one iterate it is that iterate.
 */
export class ExponentialAverage implements IterateAverage {
  static readonly decay = 0.98;
  private readonly average: Float64Array;
  private readonly firstStep: number;

  constructor(size: number, private readonly steps: number) {
    this.average = new Float64Array(size);
    this.firstStep = Math.floor(steps / 2) + 1;
  }

  observe(stepsTaken: number, parameters: Float64Array): void {
    if (stepsTaken < this.firstStep || stepsTaken > this.steps) return;
    const e = this.average;
    if (stepsTaken === this.firstStep) {
      e.set(parameters);
      return;
    }
    const d = ExponentialAverage.decay;
    for (let i = 0; i < e.length; i++) e[i] = d * e[i] + (1 - d) * parameters[i];
  }

  writeInto(parameters: Float64Array): void {
    if (this.steps - this.firstStep < 1) return;
    parameters.set(this.average);
  }
}
