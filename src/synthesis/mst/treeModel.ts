/**
 * A tree-structured graphical model over discrete attributes (a forest in general), the model MST
 * fits to its noisy marginals, and the estimation that fits it (Private-PGM, McKenna, Sheldon &
 * Miklau 2019, specialised to trees).
 *
 * Parameterisation. log p(x) = Σ_a θ_a(x_a) + Σ_{(p,a) ∈ E} θ_pa(x_p, x_a) − log Z, with every edge
 * oriented from parent p to child a after rooting each component. On a tree, sum-product belief
 * propagation is exact: one upward and one downward pass give every node and edge marginal.
 *
 * Estimation. Given noisy counts y_C of cliques C (single attributes or tree edges) with per-cell
 * noise variances v, find the distribution p in the model family minimising
 *   L(p) = Σ_C Σ_cells (N̂·p_C(cell) − y_C(cell))² / v(cell),
 * N̂ a fixed estimate of the record count. On a tree every locally consistent set of marginals is
 * realised by the model, so this is Private-PGM's estimator: the least-squares fit over the
 * marginal polytope. We minimise it as Private-PGM does, by entropic mirror descent on the
 * potentials — θ_C ← θ_C − η·∂L/∂p_C, marginals recomputed by belief propagation — with a
 * backtracking step size (halve on insufficient decrease, grow by 1.25 otherwise). L is convex
 * in the marginals, so this converges to the global least-squares fit.
 *
 * Sampling. `sample` draws rows by forward sampling from the root with *systematic rounding*: a
 * group of g rows sharing a parent value receives floor(g·p) rows of each child value plus the
 * remainders by systematic sampling (each cell's expected count is exactly g·p), then rows are
 * shuffled — unbiased like i.i.d. sampling, with less sampling noise in the marginals (Private-PGM
 * rounds in the same spirit). Evidence (allowed cells per attribute) conditions the model first.
 */
import { shuffleInPlace, type Rng } from '../../core/rng.js';

/** Noisy counts of one clique: one attribute, or a pair that must be a tree edge. */
export interface CliqueMeasurement {
  attributes: readonly [number] | readonly [number, number];
  /** Noisy counts, row-major over the attributes' cells (first attribute = rows). */
  values: Float64Array;
  /** Noise variance of each cell (> 0; larger = trusted less). */
  variance: Float64Array;
}

/** Allowed cells per attribute (1 = allowed); attributes without an entry are unconstrained. */
export type Evidence = ReadonlyMap<number, Uint8Array>;

export interface Marginals {
  /** Node marginals, one probability vector per attribute. */
  node: Float64Array[];
  /** Edge marginals p(x_parent, x_child), row-major size[parent]×size[child]; null at roots. */
  edge: (Float64Array | null)[];
}

export interface EstimationReport {
  iterations: number;
  /** Final value of the weighted least-squares loss. */
  loss: number;
  /** Relative loss change of the last accepted step (small = converged). */
  lastRelativeChange: number;
}

function logSumExp(values: Float64Array, offset: number, length: number, stride = 1): number {
  let max = -Infinity;
  for (let k = 0; k < length; k++) max = Math.max(max, values[offset + k * stride]);
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let k = 0; k < length; k++) s += Math.exp(values[offset + k * stride] - max);
  return max + Math.log(s);
}

/** Work buffers of belief propagation, per attribute (see `TreeModel.marginalsInto`). */
interface Propagation {
  /** Node potential plus the children's messages. */
  up: Float64Array[];
  /** Message from each attribute to its parent (null at roots). */
  message: (Float64Array | null)[];
  /** Log belief (unnormalised) of each attribute. */
  belief: Float64Array[];
  /** One row of an edge's potential plus the child's upward potential. */
  buffer: Float64Array;
}

export class TreeModel {
  readonly d: number;
  /** Parent of each attribute (−1 for a component's root). */
  readonly parent: Int32Array;
  /** Attributes in breadth-first order: every parent before its children. */
  readonly order: Int32Array;
  readonly nodeTheta: Float64Array[];
  /** θ of the edge (parent[a], a), row-major size[parent]×size[a]; null at roots. */
  readonly edgeTheta: (Float64Array | null)[];
  private propagation: Propagation | undefined;

  constructor(readonly sizes: Int32Array, edges: readonly (readonly [number, number])[]) {
    const d = sizes.length;
    this.d = d;
    const neighbours: number[][] = Array.from({ length: d }, () => []);
    for (const [a, b] of edges) {
      neighbours[a].push(b);
      neighbours[b].push(a);
    }
    this.parent = new Int32Array(d).fill(-2);
    this.order = new Int32Array(d);
    let head = 0;
    let tail = 0;
    for (let root = 0; root < d; root++) {
      if (this.parent[root] !== -2) continue;
      this.parent[root] = -1;
      this.order[tail++] = root;
      while (head < tail) {
        const a = this.order[head++];
        for (const b of neighbours[a]) {
          if (this.parent[b] === -2) {
            this.parent[b] = a;
            this.order[tail++] = b;
          } else if (b !== this.parent[a]) throw new Error('TreeModel: the edges contain a cycle');
        }
      }
    }
    // Potentials have the marginals' shapes; all zero is the uniform distribution.
    const potentials = this.allocateMarginals();
    this.nodeTheta = potentials.node;
    this.edgeTheta = potentials.edge;
  }

  /** Exact marginals by belief propagation, optionally conditioned on evidence (fresh arrays). */
  marginals(evidence?: Evidence): Marginals {
    return this.marginalsInto(this.allocateMarginals(), evidence);
  }

  /** Node and edge arrays shaped for this model, for `marginalsInto`. */
  allocateMarginals(): Marginals {
    const { d, sizes, parent } = this;
    return {
      node: Array.from(sizes, (k) => new Float64Array(k)),
      edge: Array.from({ length: d }, (_, a) => (parent[a] >= 0 ? new Float64Array(sizes[parent[a]] * sizes[a]) : null)),
    };
  }

  /**
   * `marginals` written into `out` (from `allocateMarginals`; every entry overwritten), with the
   * messages and beliefs in buffers the model keeps: estimation calls this on every iteration,
   * and fresh arrays per call were most of MST's typed-array allocations.
   */
  marginalsInto(out: Marginals, evidence?: Evidence): Marginals {
    const { d, sizes, parent, order } = this;
    const { up, message, belief, buffer } = (this.propagation ??= this.allocatePropagation());
    for (let a = 0; a < d; a++) {
      const u = up[a];
      u.set(this.nodeTheta[a]);
      const allowed = evidence?.get(a);
      if (allowed) for (let x = 0; x < u.length; x++) if (!allowed[x]) u[x] = -Infinity;
    }
    // Upward: children come after their parent in `order`, so walk it backwards.
    for (let k = d - 1; k >= 0; k--) {
      const a = order[k];
      const p = parent[a];
      if (p < 0) continue;
      const ka = sizes[a];
      const kp = sizes[p];
      const theta = this.edgeTheta[a]!;
      const m = message[a]!;
      for (let xp = 0; xp < kp; xp++) {
        for (let xa = 0; xa < ka; xa++) buffer[xa] = theta[xp * ka + xa] + up[a][xa];
        m[xp] = logSumExp(buffer, 0, ka);
      }
      const target = up[p];
      for (let xp = 0; xp < kp; xp++) target[xp] += m[xp];
    }
    // Downward: full beliefs, edge marginals from the parent's belief without the child's message.
    const { node, edge } = out;
    for (let k = 0; k < d; k++) {
      const a = order[k];
      const p = parent[a];
      const ka = sizes[a];
      if (p >= 0) {
        const kp = sizes[p];
        const theta = this.edgeTheta[a]!;
        const m = message[a]!;
        const joint = edge[a]!;
        for (let xp = 0; xp < kp; xp++) {
          const cavity = belief[p][xp] === -Infinity ? -Infinity : belief[p][xp] - m[xp];
          for (let xa = 0; xa < ka; xa++) joint[xp * ka + xa] = cavity + theta[xp * ka + xa] + up[a][xa];
        }
        const logZ = logSumExp(joint, 0, kp * ka);
        const b = belief[a];
        for (let xa = 0; xa < ka; xa++) b[xa] = logSumExp(joint, xa, kp, ka);
        for (let c = 0; c < joint.length; c++) joint[c] = Math.exp(joint[c] - logZ);
      }
      const logZ = logSumExp(belief[a], 0, ka);
      const prob = node[a];
      for (let x = 0; x < ka; x++) prob[x] = Math.exp(belief[a][x] - logZ);
    }
    return out;
  }

  /** Belief propagation's buffers: a root's belief is its upward potential itself. */
  private allocatePropagation(): Propagation {
    const { d, sizes, parent } = this;
    const up = Array.from(sizes, (k) => new Float64Array(k));
    return {
      up,
      message: Array.from({ length: d }, (_, a) => (parent[a] >= 0 ? new Float64Array(sizes[parent[a]]) : null)),
      belief: Array.from({ length: d }, (_, a) => (parent[a] >= 0 ? new Float64Array(sizes[a]) : up[a])),
      buffer: new Float64Array(Math.max(1, ...sizes)),
    };
  }

  /**
   * m rows as cell indices (one Int32Array per attribute), by forward sampling with systematic
   * rounding (see the module comment). Rows are in random order.
   */
  sample(m: number, rng: Rng, evidence?: Evidence): Int32Array[] {
    const { d, sizes, parent, order } = this;
    const { node, edge } = this.marginals(evidence);
    const codes = Array.from({ length: d }, () => new Int32Array(m));
    const rows = new Int32Array(m);
    for (let k = 0; k < d; k++) {
      const a = order[k];
      const p = parent[a];
      const ka = sizes[a];
      if (p < 0) {
        // A component's root: its own shuffled allocation, independent of other components.
        for (let i = 0; i < m; i++) rows[i] = i;
        fillAllocated(codes[a], rows, 0, m, node[a], 0, ka, rng);
        continue;
      }
      // Group the rows by their parent's value, then allocate the child's values within each group.
      const kp = sizes[p];
      const parentCodes = codes[p];
      const start = new Int32Array(kp + 1);
      for (let i = 0; i < m; i++) start[parentCodes[i] + 1]++;
      for (let x = 0; x < kp; x++) start[x + 1] += start[x];
      const fill = start.slice(0, kp);
      for (let i = 0; i < m; i++) rows[fill[parentCodes[i]]++] = i;
      const joint = edge[a]!;
      for (let xp = 0; xp < kp; xp++) {
        const g = start[xp + 1] - start[xp];
        if (g > 0) fillAllocated(codes[a], rows, start[xp], g, joint, xp * ka, ka, rng);
      }
    }
    return codes;
  }
}

/**
 * Counts for g draws from the (unnormalised) probabilities weights[offset..offset+k): floor(g·p)
 * each, plus the remainders by systematic sampling, so each count's expectation is exactly g·p.
 */
export function allocateCounts(g: number, weights: Float64Array, offset: number, k: number, rng: Rng): Int32Array {
  let total = 0;
  for (let x = 0; x < k; x++) total += Math.max(0, weights[offset + x]);
  const counts = new Int32Array(k);
  if (!(total > 0)) {
    for (let r = 0; r < g; r++) counts[rng.int(k)]++;
    return counts;
  }
  let placed = 0;
  const u = rng.uniform();
  let cumulative = 0;
  for (let x = 0; x < k; x++) {
    const exact = (g * Math.max(0, weights[offset + x])) / total;
    const base = Math.floor(exact);
    const before = cumulative;
    cumulative += exact - base;
    counts[x] = base + Math.max(0, Math.ceil(cumulative - u) - Math.ceil(before - u));
    placed += counts[x];
  }
  // Floating-point rounding can leave the total one off; fix it on the largest cell.
  if (placed !== g) {
    let largest = 0;
    for (let x = 1; x < k; x++) if (counts[x] > counts[largest]) largest = x;
    counts[largest] += g - placed;
  }
  return counts;
}

/** Give rows[from..from+g) values allocated from weights[offset..offset+k), in random order. */
function fillAllocated(out: Int32Array, rows: Int32Array, from: number, g: number, weights: Float64Array, offset: number, k: number, rng: Rng): void {
  const counts = allocateCounts(g, weights, offset, k, rng);
  const values = new Int32Array(g);
  let r = 0;
  for (let x = 0; x < k; x++) for (let c = 0; c < counts[x]; c++) values[r++] = x;
  shuffleInPlace(rng, values);
  for (let i = 0; i < g; i++) out[rows[from + i]] = values[i];
}

/**
 * One measurement as the estimation uses it, oriented like the tree: the potential it moves (a
 * node's or an edge's), the observed counts and their precisions (1 / variance), and the loss
 * gradient and saved potential of the current step.
 */
class EstimationTerm {
  readonly gradient: Float64Array;
  readonly saved: Float64Array;

  constructor(
    /** The attribute whose node marginal is measured, or −1. */
    readonly node: number,
    /** The child attribute of the measured edge, or −1. */
    readonly edgeOf: number,
    readonly theta: Float64Array,
    readonly y: Float64Array,
    readonly w: Float64Array,
  ) {
    this.gradient = new Float64Array(y.length);
    this.saved = new Float64Array(theta.length);
  }

  marginal(marginals: Marginals): Float64Array {
    return this.node >= 0 ? marginals.node[this.node] : marginals.edge[this.edgeOf]!;
  }
}

function estimationTerm(model: TreeModel, measurement: CliqueMeasurement): EstimationTerm {
  const { sizes } = model;
  if (measurement.attributes.length === 1) {
    const a = measurement.attributes[0];
    return new EstimationTerm(a, -1, model.nodeTheta[a], measurement.values, measurement.variance.map((v) => 1 / v));
  }
  const [a, b] = measurement.attributes;
  const [p, c, transpose] = model.parent[b] === a ? [a, b, false] : model.parent[a] === b ? [b, a, true] : [-1, -1, false];
  if (p < 0) throw new Error(`estimateTreeModel: measured pair (${a}, ${b}) is not an edge of the tree`);
  const kp = sizes[p];
  const kc = sizes[c];
  const y = new Float64Array(kp * kc);
  const w = new Float64Array(kp * kc);
  for (let xp = 0; xp < kp; xp++) {
    for (let xc = 0; xc < kc; xc++) {
      const source = transpose ? xc * kp + xp : xp * kc + xc;
      y[xp * kc + xc] = measurement.values[source];
      w[xp * kc + xc] = 1 / measurement.variance[source];
    }
  }
  return new EstimationTerm(-1, c, model.edgeTheta[c]!, y, w);
}

/**
 * Fit a tree model to noisy clique counts by mirror descent (see the module comment). `total` is
 * N̂, the record count the marginals are scaled to; pair measurements must lie on edges of the tree.
 */
export function estimateTreeModel(
  sizes: Int32Array,
  edges: readonly (readonly [number, number])[],
  measurements: readonly CliqueMeasurement[],
  total: number,
  options: { iterations?: number; tolerance?: number } = {},
): { model: TreeModel; report: EstimationReport } {
  const model = new TreeModel(sizes, edges);
  const terms = measurements.map((measurement) => estimationTerm(model, measurement));
  const report = mirrorDescent(model, terms, total, options.iterations ?? 3000, options.tolerance ?? 1e-10);
  return { model, report };
}

/**
 * The descent loop. Each step's work is in the functions it calls, so this loop, which V8
 * compiles while it runs (on-stack replacement) and again for the next call, stays small: as one
 * function with the step inlined it was the grid's costliest compilation, several times per
 * worker thread.
 */
function mirrorDescent(model: TreeModel, terms: readonly EstimationTerm[], total: number, maxIterations: number, tolerance: number): EstimationReport {
  // The current marginals and the candidate step's, swapped when a step is accepted.
  let marginals = model.marginals();
  let next = model.allocateMarginals();
  let loss = lossAndGradient(terms, marginals, total, true);
  let step = initialStep(terms, total);
  let lastRelativeChange = Infinity;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    takeStep(terms, step);
    model.marginalsInto(next);
    const nextLoss = lossAndGradient(terms, next, total, false);
    // Sufficient decrease: at least half the decrease the linearisation promises.
    const promised = promisedDecrease(terms, marginals, next);
    if (nextLoss <= loss - 0.5 * promised && Number.isFinite(nextLoss)) {
      lastRelativeChange = (loss - nextLoss) / Math.max(loss, 1e-300);
      [marginals, next] = [next, marginals];
      loss = lossAndGradient(terms, marginals, total, true);
      step *= 1.25;
      if (lastRelativeChange < tolerance) break;
    } else {
      restoreStep(terms);
      step *= 0.5;
      if (step < 1e-300) break;
    }
  }
  return { iterations, loss, lastRelativeChange };
}

/** The loss at `marginals`, and its gradient into each term's `gradient` when asked. */
function lossAndGradient(terms: readonly EstimationTerm[], marginals: Marginals, total: number, withGradient: boolean): number {
  let loss = 0;
  for (const t of terms) {
    const p = t.marginal(marginals);
    const { y, w, gradient } = t;
    for (let c = 0; c < p.length; c++) {
      const r = total * p[c] - y[c];
      loss += w[c] * r * r;
      if (withGradient) gradient[c] = 2 * total * w[c] * r;
    }
  }
  return loss;
}

/** Start from the step a quadratic with this curvature would take (the line search adapts it). */
function initialStep(terms: readonly EstimationTerm[], total: number): number {
  let maxPrecision = 0;
  for (const t of terms) for (const w of t.w) maxPrecision = Math.max(maxPrecision, w);
  return 1 / (2 * total * total * Math.max(maxPrecision, 1e-300) * Math.max(1, terms.length));
}

/**
 * θ ← θ − step·gradient, saving θ first. θ may appear in several terms only through distinct
 * cliques, so updates do not collide except when a clique is measured twice; then the gradients
 * simply add up.
 */
function takeStep(terms: readonly EstimationTerm[], step: number): void {
  for (const t of terms) t.saved.set(t.theta);
  for (const t of terms) {
    const { theta, gradient } = t;
    for (let c = 0; c < theta.length; c++) theta[c] -= step * gradient[c];
  }
}

function restoreStep(terms: readonly EstimationTerm[]): void {
  for (const t of terms) t.theta.set(t.saved);
}

/** The decrease the gradient at `from` promises for the move to `to`. */
function promisedDecrease(terms: readonly EstimationTerm[], from: Marginals, to: Marginals): number {
  let promised = 0;
  for (const t of terms) {
    const p = t.marginal(from);
    const q = t.marginal(to);
    const g = t.gradient;
    for (let c = 0; c < p.length; c++) promised += g[c] * (p[c] - q[c]);
  }
  return promised;
}
