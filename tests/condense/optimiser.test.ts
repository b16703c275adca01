import { describe, expect, it } from 'vitest';
import { Adam, MomentumSgd, createOptimiser } from '../../src/condense/optimiser.js';

describe('optimisers', () => {
  it('momentum SGD: v ← βv + g, θ ← θ − lr·v', () => {
    const sgd = new MomentumSgd(2, 0.5);
    const theta = Float64Array.of(1, -1);
    sgd.step(theta, Float64Array.of(2, 0), 0.1);
    expect(Array.from(theta)).toEqual([1 - 0.2, -1]);
    sgd.step(theta, Float64Array.of(2, 4), 0.1);
    // v = (0.5·2 + 2, 0 + 4) = (3, 4)
    expect(theta[0]).toBeCloseTo(0.8 - 0.3, 15);
    expect(theta[1]).toBeCloseTo(-1 - 0.4, 15);
  });

  it('Adam: the first step moves every coordinate with a gradient by about lr, whatever its scale', () => {
    const adam = new Adam(3);
    const theta = new Float64Array(3);
    adam.step(theta, Float64Array.of(1e-3, -50, 0), 0.01);
    expect(theta[0]).toBeCloseTo(-0.01, 6);
    expect(theta[1]).toBeCloseTo(0.01, 6);
    expect(theta[2]).toBe(0);
  });

  it('createOptimiser picks the kind', () => {
    expect(createOptimiser('adam', 1, 0.9)).toBeInstanceOf(Adam);
    expect(createOptimiser('sgd', 1, 0.9)).toBeInstanceOf(MomentumSgd);
  });
});
