/**
 * MST (McKenna, Miklau & Sheldon 2021, "Winning the NIST contest: a scalable and general approach
 * to differentially private synthetic data"): noisy one-way marginals, a maximum spanning tree of
 * attribute pairs chosen privately, noisy two-way marginals on the tree's edges, a tree-structured
 * graphical model fitted to all of them, and synthetic rows sampled from it.
 *
 * Privacy (add/remove one record; each step charges the ledger BEFORE its noisy value exists):
 *  0. only when some numeric attribute has no public bounds (always the survival time): one joint
 *     Gaussian histogram on a public grid (`domain.ts`), sensitivity √d′ for d′ such attributes,
 *     whose quantiles place those attributes' bins;
 *  1. all d one-way marginals in one joint Gaussian query (sensitivity √d);
 *  2. d − 1 rounds of the exponential mechanism choosing the tree (score: L1 error of a pair's
 *     marginal under the current model, sensitivity 1), each ε_sel-bounded-range, i.e.
 *     ε_sel²/8-zCDP;
 *  3. the d − 1 two-way marginals of the tree in one joint Gaussian query (sensitivity √(d − 1)).
 * The whole mechanism is ρ-zCDP. As in the paper, steps 1–3 get ρ/3 each of what step 0 leaves:
 * per-cell noise σ√d with σ = √(3/(2ρ′)), ε_sel = √(8(ρ′/3)/(d − 1)). Step 0, when needed, costs
 * per attribute what step 1 does (ρ₀ = (ρ′/3)·d′/d), so its histograms are as noisy as a one-way
 * marginal. ρ is the largest value for which the ledger — RDP of every entry summed, converted to
 * (ε, δ) as for condensation — stays within the target ε.
 *
 * Domain compression (as in the paper): after step 1, each attribute's cells whose noisy count is
 * below 3 noise standard deviations are merged into one cell, re-measured as the sum of their noisy
 * counts (variance: the sum of theirs); the tree, the two-way marginals and the model live on the
 * compressed domain. A merged cell decodes to one of its cells uniformly at random, preferring
 * value cells over the missing-value cell (a merged group says nothing about which it was).
 *
 * Everything after the measurements — the estimate of the record count N̂ (the inverse-variance
 * weighted mean of the one-way totals), the model, the samples — is post-processing.
 */
import { SeededRng, type Rng } from '../../core/rng.js';
import type { Table } from '../../data/table.js';
import { CryptoRng, PrivacyLedger, buildReceipt, epsilonFromRdp, addRdp, exponentialMechanismIndex, type InputFingerprint, type MechanismEntry, type Receipt } from '../../privacy/index.js';
import { entryRdp } from '../../privacy/ledger.js';
import { GaussianSumQuery } from '../../privacy/measurements.js';
import { DataAccessScope } from '../../privacy/dataAccess.js';
import { OptionError } from '../../core/errors.js';
import { SOFTWARE } from '../../core/version.js';
import { releaseCaveats } from '../../models/survival/coxFiniteness.js';
import {
  attributeSize,
  decodeRecords,
  encodeRecords,
  gridHistogramCounts,
  gridHistogramPlan,
  planAttributes,
  setGridEdges,
  type Attribute,
} from './domain.js';
import { estimateTreeModel, type CliqueMeasurement, type Evidence, type TreeModel } from './treeModel.js';

/** Ledger entry names of MST's mechanisms. */
export const MST_MECHANISM = {
  gridHistograms: 'mst_grid_histograms',
  oneWayMarginals: 'mst_one_way_marginals',
  treeSelection: 'mst_tree_selection',
  twoWayMarginals: 'mst_two_way_marginals',
} as const;

export const MST_DEFAULTS = {
  delta: 1e-5,
  /** Bins per numeric attribute: the setting of the anchor runs (DESIGN.md, "Baselines"). */
  bins: 16,
  /** Mirror-descent iterations for the final model (the paper's implementation uses 5000 with a
   *  generic solver; on a tree exact belief propagation converges well within this). */
  iterations: 3000,
  /** … and for the independent model that scores candidate pairs during selection. */
  selectionIterations: 1000,
  /** Cells below this many noise standard deviations are merged (the paper's rule). */
  compressionThreshold: 3,
};

/** The noise of each MST step, for a given ρ. */
export interface MstBudgetPlan {
  rho: number;
  gridNoiseMultiplier: number;
  oneWayNoiseMultiplier: number;
  /** ε of each of the d − 1 exponential-mechanism rounds. */
  selectionEpsilon: number;
  twoWayNoiseMultiplier: number;
  /** The ledger entries, in the order they are charged. */
  entries: MechanismEntry[];
}

function budgetPlanFor(rho: number, attributes: number, gridAttributes: number): MstBudgetPlan {
  const rhoRest = rho / (1 + gridAttributes / (3 * attributes));
  const rhoStep = rhoRest / 3;
  const rhoGrid = rho - rhoRest;
  const noise = (r: number) => (r === Infinity ? 0 : Math.sqrt(1 / (2 * r)));
  const rounds = attributes - 1;
  const plan = {
    rho,
    gridNoiseMultiplier: gridAttributes > 0 ? noise(rhoGrid) : NaN,
    oneWayNoiseMultiplier: noise(rhoStep),
    selectionEpsilon: Math.sqrt((8 * rhoStep) / rounds),
    twoWayNoiseMultiplier: noise(rhoStep),
  };
  const entries: MechanismEntry[] = [];
  if (gridAttributes > 0) {
    entries.push({ kind: 'gaussian', name: MST_MECHANISM.gridHistograms, noiseMultiplier: plan.gridNoiseMultiplier, purpose: `bins of ${gridAttributes} attribute(s) without public bounds (DP quantiles)` });
  }
  entries.push(
    { kind: 'gaussian', name: MST_MECHANISM.oneWayMarginals, noiseMultiplier: plan.oneWayNoiseMultiplier, purpose: `${attributes} one-way marginals` },
    { kind: 'exponential', name: MST_MECHANISM.treeSelection, epsilon: plan.selectionEpsilon, count: rounds, purpose: 'maximum spanning tree of attribute pairs (exponential mechanism per edge)' },
    { kind: 'gaussian', name: MST_MECHANISM.twoWayMarginals, noiseMultiplier: plan.twoWayNoiseMultiplier, purpose: `${rounds} two-way marginals on the tree` },
  );
  return { ...plan, entries };
}

/**
 * The largest ρ whose entries, charged after what `ledger` already holds, keep its total ε (at its δ,
 * by the ledger's RDP arithmetic) within `targetEpsilon`. Infinity → the non-private plan (no noise).
 */
export function planMstBudget(ledger: PrivacyLedger, targetEpsilon: number, attributes: number, gridAttributes: number): MstBudgetPlan {
  if (attributes < 2) throw new RangeError('MST needs at least two attributes');
  if (targetEpsilon === Infinity) return budgetPlanFor(Infinity, attributes, gridAttributes);
  const orders = ledger.orders;
  const prior = ledger.rdpCurve();
  const delta = ledger.budget.delta;
  const epsilonAt = (rho: number) => {
    const curve = Float64Array.from(prior);
    for (const e of budgetPlanFor(rho, attributes, gridAttributes).entries) addRdp(curve, entryRdp(e, orders));
    return epsilonFromRdp(curve, orders, delta).epsilon;
  };
  if (!(epsilonAt(1e-12) <= targetEpsilon)) throw new RangeError(`MST: ε = ${targetEpsilon} is already spent before MST starts`);
  let lo = 1e-12;
  let hi = 1;
  while (epsilonAt(hi) <= targetEpsilon) {
    lo = hi;
    hi *= 2;
  }
  for (let it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (epsilonAt(mid) <= targetEpsilon) lo = mid;
    else hi = mid;
  }
  return budgetPlanFor(lo, attributes, gridAttributes);
}

/** How an attribute's original cells map to its compressed cells. */
interface Compression {
  /** Original cell → compressed cell. */
  compressedOf: Int32Array;
  /** Compressed cell → the original cells it holds. */
  members: Int32Array[];
}

function compressAttribute(noisy: Float64Array, std: number, threshold: number, missingCell: number): Compression {
  const k = noisy.length;
  const compressedOf = new Int32Array(k);
  const members: number[][] = [];
  const merged: number[] = [];
  for (let x = 0; x < k; x++) {
    if (noisy[x] >= threshold * std && !(std === 0 && noisy[x] === 0 && x === missingCell)) {
      compressedOf[x] = members.length;
      members.push([x]);
    } else merged.push(x);
  }
  if (merged.length) {
    for (const x of merged) compressedOf[x] = members.length;
    // Value cells first: a merged cell decodes to them when it has any (see the module comment).
    members.push(merged.filter((x) => x !== missingCell).concat(merged.filter((x) => x === missingCell)));
  }
  return { compressedOf, members: members.map((m) => Int32Array.from(m)) };
}

/** A fitted MST model: the discretised schema, the compression and the tree model. */
export class MstModel {
  constructor(
    readonly table: Pick<Table, 'card'>,
    readonly attributes: readonly Attribute[],
    private readonly compression: readonly Compression[],
    readonly tree: TreeModel,
    /** N̂: the DP estimate of the number of records. */
    readonly recordCount: number,
    /** The tree's edges as attribute-name pairs (an output of the charged selection). */
    readonly edges: readonly [string, string][],
    readonly plan: MstBudgetPlan,
  ) {}

  /**
   * m synthetic rows. `evidence` maps attribute name → allowed original cells (e.g. the label's
   * class), to sample from the model conditioned on it.
   */
  sample(m: number, rng: Rng, evidence?: Record<string, readonly number[]>): Table {
    let conditioned: Evidence | undefined;
    if (evidence) {
      const map = new Map<number, Uint8Array>();
      for (const [name, cells] of Object.entries(evidence)) {
        const a = this.attributes.findIndex((x) => x.name === name);
        if (a < 0) throw new RangeError(`MST sample: no attribute "${name}"`);
        const allowed = new Uint8Array(this.tree.sizes[a]);
        for (const x of cells) allowed[this.compression[a].compressedOf[x]] = 1;
        map.set(a, allowed);
      }
      conditioned = map;
    }
    const compressed = this.tree.sample(m, rng, conditioned);
    const original = compressed.map((codes, a) => {
      const { members } = this.compression[a];
      const out = new Int32Array(m);
      for (let i = 0; i < m; i++) {
        const group = members[codes[i]];
        const valueCells = group[group.length - 1] === this.attributes[a].levels && this.attributes[a].missingCell ? group.length - 1 : group.length;
        out[i] = group[valueCells > 0 ? rng.int(valueCells) : 0];
      }
      return out;
    });
    return decodeRecords(this.table.card, this.attributes, original, rng);
  }

  /** Rows per class value: `counts[c]` rows with the label's cell c (classification only). */
  sampleByClass(counts: readonly number[], rng: Rng): Table[] {
    const label = this.attributes.find((a) => a.role === 'label');
    if (!label) throw new RangeError('MST sampleByClass: the table has no label');
    return counts.map((count, c) => this.sample(count, rng, { [label.name]: [c] }));
  }
}

export interface MstFitOptions {
  train: Table;
  /** The run's ledger; MST charges its entries to it. */
  ledger: PrivacyLedger;
  /** Total ε the ledger may reach once MST is charged (Infinity: non-private, no noise). */
  targetEpsilon: number;
  /** Secret randomness (noise, selection): cryptographically secure for a release. */
  noiseRng: Rng;
  bins?: number;
  /** Public bounds for features whose card has none. */
  bounds?: Record<string, [number, number]>;
  iterations?: number;
  /** The run's data-access scope: every read of `train` happens inside a section named after its ledger entry. */
  scope?: DataAccessScope;
}

/** Run MST's mechanisms on `train` and fit the model (see the module comment). */
export function fitMst(options: MstFitOptions): MstModel {
  const { train, ledger, noiseRng } = options;
  const scope = options.scope ?? new DataAccessScope();
  const insideMechanism = <T>(name: string, fn: () => T): T => scope.inside(name, fn);
  const bins = options.bins ?? MST_DEFAULTS.bins;
  if (!(Number.isInteger(bins) && bins >= 2)) throw new RangeError(`MST: bins must be an integer ≥ 2 (got ${bins})`);
  const attributes = planAttributes(train.card, bins, options.bounds);
  const d = attributes.length;
  const gridPlan = gridHistogramPlan(attributes);
  const plan = planMstBudget(ledger, options.targetEpsilon, d, gridPlan.attributes.length);
  // Each Gaussian step is a measurement value: charged, then noised (nothing noised if ρ = ∞).
  const charge = (entry: MechanismEntry, values: Float64Array, sensitivity: number) => {
    if (entry.kind !== 'gaussian') throw new Error('unreachable');
    new GaussianSumQuery(entry.name, entry.purpose ?? entry.name, entry.noiseMultiplier, sensitivity).release(values, ledger, noiseRng, Number.isFinite(plan.rho));
  };
  const entry = (name: string) => plan.entries.find((e) => e.name === name)!;

  // 0. Bins of attributes without public bounds.
  if (gridPlan.attributes.length > 0) {
    const counts = insideMechanism(MST_MECHANISM.gridHistograms, () => gridHistogramCounts(train, attributes, gridPlan));
    const sensitivity = Math.sqrt(gridPlan.attributes.length);
    charge(entry(MST_MECHANISM.gridHistograms), counts, sensitivity);
    setGridEdges(attributes, gridPlan, counts, MST_DEFAULTS.compressionThreshold * plan.gridNoiseMultiplier * sensitivity, bins);
  }
  const sizes = Int32Array.from(attributes, attributeSize);

  // 1. One-way marginals, then domain compression.
  const offsets = new Int32Array(d + 1);
  for (let a = 0; a < d; a++) offsets[a + 1] = offsets[a] + sizes[a];
  const oneWay = insideMechanism(MST_MECHANISM.oneWayMarginals, () => {
    const codes = encodeRecords(train, attributes);
    const counts = new Float64Array(offsets[d]);
    codes.forEach((c, a) => {
      for (let i = 0; i < c.length; i++) counts[offsets[a] + c[i]] += 1;
    });
    return counts;
  });
  charge(entry(MST_MECHANISM.oneWayMarginals), oneWay, Math.sqrt(d));
  const oneWayStd = plan.oneWayNoiseMultiplier * Math.sqrt(d);
  const compression = attributes.map((a, i) =>
    compressAttribute(oneWay.subarray(offsets[i], offsets[i + 1]), oneWayStd, MST_DEFAULTS.compressionThreshold, a.missingCell ? a.levels : -1),
  );
  const compressedSizes = Int32Array.from(compression, (c) => c.members.length);
  const oneWayMeasurements: CliqueMeasurement[] = compression.map((c, a) => {
    const values = new Float64Array(c.members.length);
    const variance = new Float64Array(c.members.length);
    c.members.forEach((cells, x) => {
      for (const cell of cells) values[x] += oneWay[offsets[a] + cell];
      variance[x] = Math.max(cells.length * oneWayStd * oneWayStd, 1e-6);
    });
    return { attributes: [a] as const, values, variance };
  });
  let totalPrecision = 0;
  let weightedTotal = 0;
  for (const m of oneWayMeasurements) {
    const v = m.variance.reduce((s, x) => s + x, 0);
    weightedTotal += m.values.reduce((s, x) => s + x, 0) / v;
    totalPrecision += 1 / v;
  }
  const recordCount = Math.max(1, weightedTotal / totalPrecision);

  // 2. The tree: d − 1 exponential-mechanism rounds over pairs not yet connected.
  const iterations = options.iterations ?? MST_DEFAULTS.iterations;
  const independent = estimateTreeModel(compressedSizes, [], oneWayMeasurements, recordCount, { iterations: Math.min(iterations, MST_DEFAULTS.selectionIterations) }).model.marginals();
  const selection = entry(MST_MECHANISM.treeSelection);
  const pairs: [number, number][] = [];
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) pairs.push([a, b]);
  const scores = insideMechanism(MST_MECHANISM.treeSelection, () => {
    const codes = compressedCodes(train, attributes, compression);
    const out = new Float64Array(pairs.length);
    pairs.forEach(([a, b], k) => {
      const kb = compressedSizes[b];
      const counts = new Float64Array(compressedSizes[a] * kb);
      const ca = codes[a];
      const cb = codes[b];
      for (let i = 0; i < ca.length; i++) counts[ca[i] * kb + cb[i]] += 1;
      const pa = independent.node[a];
      const pb = independent.node[b];
      let l1 = 0;
      for (let x = 0; x < pa.length; x++) for (let y = 0; y < kb; y++) l1 += Math.abs(counts[x * kb + y] - recordCount * pa[x] * pb[y]);
      out[k] = l1;
    });
    return out;
  });
  ledger.charge(selection);
  ledger.registerRandomness(noiseRng);
  const edges = selectTree(d, pairs, scores, plan.selectionEpsilon, noiseRng);

  // 3. Two-way marginals on the tree.
  const edgeOffsets = new Int32Array(edges.length + 1);
  edges.forEach(([a, b], k) => (edgeOffsets[k + 1] = edgeOffsets[k] + compressedSizes[a] * compressedSizes[b]));
  const twoWay = insideMechanism(MST_MECHANISM.twoWayMarginals, () => {
    const codes = compressedCodes(train, attributes, compression);
    const counts = new Float64Array(edgeOffsets[edges.length]);
    edges.forEach(([a, b], k) => {
      const kb = compressedSizes[b];
      const ca = codes[a];
      const cb = codes[b];
      for (let i = 0; i < ca.length; i++) counts[edgeOffsets[k] + ca[i] * kb + cb[i]] += 1;
    });
    return counts;
  });
  charge(entry(MST_MECHANISM.twoWayMarginals), twoWay, Math.sqrt(edges.length));
  const twoWayVariance = Math.max((plan.twoWayNoiseMultiplier * Math.sqrt(edges.length)) ** 2, 1e-6);
  const twoWayMeasurements: CliqueMeasurement[] = edges.map(([a, b], k) => {
    const values = twoWay.slice(edgeOffsets[k], edgeOffsets[k + 1]);
    return { attributes: [a, b] as const, values, variance: new Float64Array(values.length).fill(twoWayVariance) };
  });

  // 4. The model (post-processing of the measurements).
  const { model } = estimateTreeModel(compressedSizes, edges, [...oneWayMeasurements, ...twoWayMeasurements], recordCount, { iterations });
  const edgeNames = edges.map(([a, b]) => [attributes[a].name, attributes[b].name] as [string, string]);
  return new MstModel(train, attributes, compression, model, recordCount, edgeNames, plan);
}

/** The records on the compressed domain (READS REAL RECORDS: call only inside a charged query). */
function compressedCodes(train: Table, attributes: readonly Attribute[], compression: readonly Compression[]): Int32Array[] {
  return encodeRecords(train, attributes).map((codes, a) => {
    const map = compression[a].compressedOf;
    for (let i = 0; i < codes.length; i++) codes[i] = map[codes[i]];
    return codes;
  });
}

/**
 * Kruskal-style tree selection: each round draws one pair among those joining two components with
 * probability ∝ exp(ε·score/2) (sensitivity 1) by the engine's exponential mechanism
 * (`exponentialMechanismIndex`), or, with ε = ∞, takes the best-scoring pair.
 */
export function selectTree(d: number, pairs: readonly (readonly [number, number])[], scores: Float64Array, epsilon: number, rng: Rng): [number, number][] {
  const component = Int32Array.from({ length: d }, (_, i) => i);
  const find = (x: number): number => {
    while (component[x] !== x) x = component[x] = component[component[x]];
    return x;
  };
  const edges: [number, number][] = [];
  const eligible: number[] = [];
  const eligibleScores: number[] = [];
  for (let round = 0; round < d - 1; round++) {
    eligible.length = 0;
    eligibleScores.length = 0;
    pairs.forEach(([a, b], k) => {
      if (find(a) === find(b)) return;
      eligible.push(k);
      eligibleScores.push(scores[k]);
    });
    const [a, b] = pairs[eligible[exponentialMechanismIndex(eligibleScores, epsilon, 1, rng)]];
    component[find(a)] = find(b);
    edges.push([a, b]);
  }
  return edges;
}

// ---------------------------------------------------------------------------------------------
// The front end shared by the CLI, the benchmarks and the library.

export interface SynthesiseOptions {
  train: Table;
  /** Rows to release, or 'full' for N̂ (the DP estimate of the record count). */
  rows: number | 'full';
  /** Target ε; Infinity runs MST without noise (an ablation; never a private release). */
  epsilon: number;
  delta?: number;
  bins?: number;
  bounds?: Record<string, [number, number]>;
  iterations?: number;
  /** A seed makes the run reproducible — and therefore not a private release. */
  seed?: number;
  accountant?: 'rdp' | 'pld';
  /** The input's identifier for the receipt: keyed (`keyedFingerprint`) for private data; a bare string is a SHA-256 hex digest (public data only). */
  inputFingerprint?: string | InputFingerprint;
}

export interface SynthesiseResult {
  synthetic: Table;
  receipt: Receipt;
  model: MstModel;
  /** What a recipient should know about the synthetic table (also in the receipt's warnings). */
  caveats: string[];
}

/** Fit MST on `train` under (ε, δ) and release `rows` sampled rows with their receipt. */
export async function synthesise(options: SynthesiseOptions, hooks: { scope?: DataAccessScope } = {}): Promise<SynthesiseResult> {
  const { train, epsilon } = options;
  const delta = options.delta ?? MST_DEFAULTS.delta;
  const fail = (option: keyof SynthesiseOptions, message: string) => {
    throw new OptionError(option, `synthesise: ${message}`);
  };
  if (!(epsilon > 0)) fail('epsilon', `epsilon must be > 0 (got ${epsilon}); use Infinity for a non-private run`);
  if (!(delta > 0 && delta < 1)) fail('delta', `delta must be in (0, 1) (got ${delta})`);
  if (options.rows !== 'full' && !(Number.isInteger(options.rows) && options.rows >= 1)) fail('rows', `rows must be a positive integer or "full" (got ${options.rows})`);
  if (options.bins !== undefined && !(Number.isInteger(options.bins) && options.bins >= 2)) fail('bins', `bins must be an integer ≥ 2 (got ${options.bins})`);
  if (options.iterations !== undefined && !(Number.isInteger(options.iterations) && options.iterations >= 1)) fail('iterations', `iterations must be a positive integer (got ${options.iterations})`);
  const seeded = options.seed !== undefined ? new SeededRng(options.seed) : undefined;
  const noiseRng: Rng = seeded ? seeded.fork() : new CryptoRng();
  const publicRng: Rng = seeded ? seeded.fork() : new CryptoRng();
  const ledger = new PrivacyLedger({ epsilon, delta, accountant: options.accountant ?? 'rdp' });
  ledger.registerRandomness(noiseRng);
  const model = fitMst({ train, ledger, targetEpsilon: epsilon, noiseRng, bins: options.bins, bounds: options.bounds, iterations: options.iterations, scope: hooks.scope });
  const rows = options.rows === 'full' ? Math.max(1, Math.round(model.recordCount)) : options.rows;
  const synthetic = model.sample(rows, publicRng);
  const reasonsNotPrivate: string[] = [];
  if (!Number.isFinite(epsilon)) reasonsNotPrivate.push('epsilon = Infinity: MST without noise');
  if (options.seed !== undefined) reasonsNotPrivate.push('seeded (reproducible) random numbers instead of a cryptographically secure source');
  const { plan } = model;
  const receipt = buildReceipt(ledger, {
    software: SOFTWARE,
    inputFingerprint: options.inputFingerprint ?? { algorithm: 'none', hex: '' },
    parameters: {
      method: 'mst',
      dataset: train.card.name,
      task: train.card.task,
      rows,
      epsilon: Number.isFinite(epsilon) ? epsilon : 'Infinity',
      delta,
      rho: Number.isFinite(plan.rho) ? plan.rho : 'Infinity',
      bins: options.bins ?? MST_DEFAULTS.bins,
      oneWayNoiseMultiplier: plan.oneWayNoiseMultiplier,
      selectionEpsilon: Number.isFinite(plan.selectionEpsilon) ? plan.selectionEpsilon : 'Infinity',
      twoWayNoiseMultiplier: plan.twoWayNoiseMultiplier,
      ...(Number.isNaN(plan.gridNoiseMultiplier) ? {} : { gridNoiseMultiplier: plan.gridNoiseMultiplier }),
      iterations: options.iterations ?? MST_DEFAULTS.iterations,
      tree: model.edges.map(([a, b]) => `${a}–${b}`),
    },
    privateRelease: true,
    reasonsNotPrivate,
  });
  const caveats = releaseCaveats(synthetic);
  receipt.warnings.push(...caveats);
  return { synthetic, receipt, model, caveats };
}
