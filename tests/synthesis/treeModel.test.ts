import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { TreeModel, allocateCounts, estimateTreeModel, type CliqueMeasurement } from '../../src/synthesis/mst/index.js';

/** A small tree (0–1, 1–2, 1–3) with random potentials. */
function randomModel(seed: number): TreeModel {
  const rng = new SeededRng(seed);
  const model = new TreeModel(Int32Array.of(3, 2, 4, 3), [[0, 1], [1, 2], [3, 1]]);
  for (const t of model.nodeTheta) for (let i = 0; i < t.length; i++) t[i] = rng.normal();
  for (const t of model.edgeTheta) if (t) for (let i = 0; i < t.length; i++) t[i] = 1.5 * rng.normal();
  return model;
}

/** The joint distribution by brute-force enumeration of exp(Σ θ). */
function exactJoint(model: TreeModel, allowed?: (x: number[]) => boolean): Map<string, number> {
  const sizes = Array.from(model.sizes);
  const joint = new Map<string, number>();
  let z = 0;
  const x = new Array(sizes.length).fill(0);
  const visit = (a: number) => {
    if (a === sizes.length) {
      if (allowed && !allowed(x)) return;
      let s = 0;
      for (let b = 0; b < sizes.length; b++) {
        s += model.nodeTheta[b][x[b]];
        const p = model.parent[b];
        if (p >= 0) s += model.edgeTheta[b]![x[p] * sizes[b] + x[b]];
      }
      const w = Math.exp(s);
      joint.set(x.join(','), w);
      z += w;
      return;
    }
    for (let v = 0; v < sizes[a]; v++) {
      x[a] = v;
      visit(a + 1);
    }
  };
  visit(0);
  for (const [k, w] of joint) joint.set(k, w / z);
  return joint;
}

describe('TreeModel', () => {
  it('belief propagation gives the exact node and edge marginals', () => {
    const model = randomModel(1);
    const joint = exactJoint(model);
    const { node, edge } = model.marginals();
    for (let a = 0; a < 4; a++) {
      const p = model.parent[a];
      for (const [key, w] of joint) {
        const x = key.split(',').map(Number);
        node[a][x[a]] -= w;
        if (p >= 0) edge[a]![x[p] * model.sizes[a] + x[a]] -= w;
      }
      for (const r of node[a]) expect(Math.abs(r)).toBeLessThan(1e-12);
      if (p >= 0) for (const r of edge[a]!) expect(Math.abs(r)).toBeLessThan(1e-12);
    }
  });

  it('marginals reusing the model\'s buffers and the caller\'s output equal a fresh model\'s, bit for bit', () => {
    const model = randomModel(5);
    const out = model.allocateMarginals();
    for (const v of out.node) v.fill(NaN);
    for (const v of out.edge) v?.fill(NaN);
    // Conditioning first leaves −∞ in the model's buffers; the next call must not see them.
    model.marginalsInto(out, new Map([[2, Uint8Array.of(1, 0, 1, 0)]]));
    for (let round = 0; round < 3; round++) {
      for (const t of model.nodeTheta) t[0] += 0.25;
      const fresh = new TreeModel(model.sizes, [[0, 1], [1, 2], [3, 1]]);
      model.nodeTheta.forEach((t, a) => fresh.nodeTheta[a].set(t));
      model.edgeTheta.forEach((t, a) => t && fresh.edgeTheta[a]!.set(t));
      const expected = fresh.marginals();
      const reused = model.marginalsInto(out);
      expect(reused).toBe(out);
      for (let a = 0; a < 4; a++) {
        expect(Array.from(reused.node[a])).toEqual(Array.from(expected.node[a]));
        expect(Array.from(reused.edge[a] ?? [])).toEqual(Array.from(expected.edge[a] ?? []));
      }
    }
  });

  it('the sampler reproduces the model’s joint distribution (chi-square over many seeded samples)', () => {
    const model = randomModel(2);
    const joint = exactJoint(model);
    const rng = new SeededRng(3);
    const counts = new Map<string, number>();
    let total = 0;
    for (let rep = 0; rep < 400; rep++) {
      const codes = model.sample(25, rng);
      for (let i = 0; i < 25; i++) {
        const key = codes.map((c) => c[i]).join(',');
        counts.set(key, (counts.get(key) ?? 0) + 1);
        total++;
      }
    }
    let chi2 = 0;
    for (const [key, p] of joint) chi2 += ((counts.get(key) ?? 0) - total * p) ** 2 / (total * p);
    // 72 cells → 71 degrees of freedom; the 0.999 quantile of χ²(71) is about 112.
    expect(chi2).toBeLessThan(112);
    // Every sampled combination has positive model probability.
    for (const key of counts.keys()) expect(joint.has(key)).toBe(true);
  });

  it('samples conditioned on evidence follow the conditional distribution', () => {
    const model = randomModel(4);
    const allowed = new Map([[2, Uint8Array.of(0, 1, 0, 0)]]);
    const joint = exactJoint(model, (x) => x[2] === 1);
    const rng = new SeededRng(5);
    const counts = new Map<string, number>();
    const codes = model.sample(20000, rng, allowed);
    for (let i = 0; i < 20000; i++) {
      const key = codes.map((c) => c[i]).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(codes[2].every((v) => v === 1)).toBe(true);
    let chi2 = 0;
    for (const [key, p] of joint) chi2 += ((counts.get(key) ?? 0) - 20000 * p) ** 2 / (20000 * p);
    expect(chi2).toBeLessThan(60); // 18 cells, 17 df: 0.999 quantile ≈ 40.8; rounding only lowers χ²
  });

  it('systematic rounding allocates exactly g rows with expectation g·p', () => {
    const rng = new SeededRng(6);
    const p = Float64Array.of(0.05, 0.3, 0.15, 0.5);
    const sums = new Float64Array(4);
    for (let rep = 0; rep < 4000; rep++) {
      const c = allocateCounts(7, p, 0, 4, rng);
      expect(c.reduce((a, b) => a + b, 0)).toBe(7);
      for (let x = 0; x < 4; x++) {
        expect(Math.abs(c[x] - 7 * p[x])).toBeLessThan(1 + 1e-9);
        sums[x] += c[x];
      }
    }
    for (let x = 0; x < 4; x++) expect(sums[x] / 4000).toBeCloseTo(7 * p[x], 1);
  });
});

describe('estimateTreeModel', () => {
  it('recovers a tree model from its exact marginals', () => {
    const truth = randomModel(7);
    const { node, edge } = truth.marginals();
    const total = 500;
    const measurements: CliqueMeasurement[] = [];
    for (let a = 0; a < 4; a++) measurements.push({ attributes: [a], values: node[a].map((p) => total * p), variance: new Float64Array(node[a].length).fill(4) });
    for (let a = 0; a < 4; a++) {
      const p = truth.parent[a];
      if (p < 0) continue;
      measurements.push({ attributes: [p, a], values: edge[a]!.map((q) => total * q), variance: new Float64Array(edge[a]!.length).fill(4) });
    }
    const { model, report } = estimateTreeModel(truth.sizes, [[0, 1], [1, 2], [3, 1]], measurements, total, { iterations: 5000 });
    expect(report.loss).toBeLessThan(1e-3);
    const fitted = model.marginals();
    for (let a = 0; a < 4; a++) for (let x = 0; x < node[a].length; x++) expect(fitted.node[a][x]).toBeCloseTo(node[a][x], 3);
  });

  it('projects inconsistent noisy marginals onto consistent ones (weighted least squares)', () => {
    // One attribute measured twice with different noise: the fit is the precision-weighted mean.
    const m1: CliqueMeasurement = { attributes: [0], values: Float64Array.of(60, 40), variance: Float64Array.of(1, 1) };
    const m2: CliqueMeasurement = { attributes: [0], values: Float64Array.of(40, 60), variance: Float64Array.of(3, 3) };
    const { model } = estimateTreeModel(Int32Array.of(2), [], [m1, m2], 100, { iterations: 2000 });
    expect(model.marginals().node[0][0]).toBeCloseTo(0.55, 4);
  });
});
