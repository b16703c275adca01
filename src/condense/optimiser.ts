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
