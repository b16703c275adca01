/**
 * Empirical privacy audit (`npm run audit`, results in docs/AUDIT.md). Three attacks, each at
 * ε ∈ {1, 3, 8} and a no-noise control:
 *
 * 1. White-box one-run audit (Steinke, Nasr & Jagielski 2023) of the zero-order steps' mechanism —
 *    the strongest adversary the receipt covers: it sees every step's noisy sums. m gradient
 *    canaries, each included with probability ½, are given record vectors the adversary chooses:
 *    canary c puts the full clip norm C on its own coordinates (step t, coordinate k) with
 *    (t·(K+1) + k) mod m = c and 0 elsewhere, so canaries never overlap. The steps run through the
 *    project's own code — `PoissonSampler` batches (rate q), `SubsampledGaussianSum.release`
 *    (clip, sum, snapped Gaussian noise) — with σ calibrated by the project's accountant for the
 *    steps alone at the target ε (q, T, K of a default pima run). Score of a canary: the sum of
 *    the released values on its coordinates.
 * 2. Black-box one-run audit of the whole pipeline: canary patients (half extreme outliers at
 *    corners of the card's bounds, half typical: rows of the held-out test split), each inserted
 *    into pima's training split with probability ½, one `condense` run; score: minus the distance
 *    from the canary to the nearest released row of its class (features scaled by the card's
 *    bounds).
 * 3. Membership inference on the most vulnerable training records (largest distance to their
 *    nearest neighbour): repeated condensation runs without any target and with one target added;
 *    the same distance score; AUC and TPR at 1 % FPR with 95 % intervals.
 *
 * Research runs use seeded generators (the audit must be reproducible); seeding changes nothing in
 * the mechanism's distribution. `--quick` is the configuration the test suite runs.
 *
 *   node dist/bench/audit.js [--quick] [--runs 100] [--canaries 1000] [--json FILE]
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { SeededRng, type Rng } from '../core/rng.js';
import type { DatasetCard } from '../data/card.js';
import { subsetTable, type Table } from '../data/table.js';
import { loadBundledDataset } from '../node/bundled.js';
import { DEFAULTS, condense, type CondenseOptions } from '../condense/condense.js';
import { calibrateNoiseMultiplier } from '../privacy/calibrate.js';
import { SubsampledGaussianSum } from '../privacy/measurements.js';
import { aucWithInterval, membershipEpsilonLower, oneRunEpsilonLowerBound, scoreGuesses, tprAtFpr } from './auditStatistics.js';

export interface AuditConfig {
  epsilons: number[];
  delta: number;
  /** White-box: canaries, steps T, directions K, sampling rate q (pima's default: 256 of 614). */
  whiteBox: { canaries: number; steps: number; directions: number; samplingRate: number; repeats: number };
  /** Black-box one-run and membership inference: condensation settings and sizes. */
  blackBox: { canaries: number; runs: number; targets: number; condense: Partial<CondenseOptions> };
  seed: number;
  /** Also run the no-noise control (default true). */
  control?: boolean;
  /** The attacks to run (default all three). */
  parts?: AuditPart[];
}

export type AuditPart = 'white-box' | 'black-box' | 'membership';
export const AUDIT_PARTS: readonly AuditPart[] = ['white-box', 'black-box', 'membership'];

export const DEFAULT_AUDIT: AuditConfig = {
  epsilons: [1, 3, 8],
  delta: 1e-5,
  whiteBox: { canaries: 1000, steps: DEFAULTS.steps, directions: DEFAULTS.directions.classification, samplingRate: 256 / 614, repeats: 5 },
  blackBox: { canaries: 100, runs: 50, targets: 2, condense: { rows: 20, steps: 100, directions: 8 } },
  seed: 20231,
};

export const QUICK_AUDIT: AuditConfig = {
  epsilons: [1, 8],
  delta: 1e-5,
  whiteBox: { canaries: 500, steps: 100, directions: 16, samplingRate: 256 / 614, repeats: 1 },
  blackBox: { canaries: 40, runs: 4, targets: 1, condense: { rows: 10, steps: 4, directions: 2 } },
  seed: 7,
};

/** Guesses per side: a fixed tenth of the canaries, chosen before looking at any score. */
const guessesPerSide = (m: number) => Math.max(1, Math.floor(m / 10));

export interface OneRunResult {
  epsilon: number | 'none';
  noiseMultiplier: number;
  guesses: number;
  correct: number;
  /** 95 % lower confidence bound on ε. */
  epsilonLower: number;
}

/** White-box one-run audit of the steps' mechanism at `epsilon` (Infinity: no noise). */
export function whiteBoxOneRun(epsilon: number, config: AuditConfig, seed: number): OneRunResult {
  const { canaries: m, steps: T, directions: K, samplingRate: q } = config.whiteBox;
  const width = K + 1;
  const sigma = Number.isFinite(epsilon) ? calibrateNoiseMultiplier({ targetEpsilon: epsilon, delta: config.delta, samplingRate: q, steps: T }).noiseMultiplier : 0;
  const C = 1;
  const measurement = new SubsampledGaussianSum('audit', 'white-box canaries', sigma, C, q, T);
  const rng = new SeededRng(seed);
  const included = Uint8Array.from({ length: m }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const members = Int32Array.from([...included.keys()].filter((c) => included[c]));
  const sampler = measurement.batchSampler(members.length);
  const noiseRng = Object.assign(rng.fork(), { exactNoise: true }); // the release path's exact sampler
  const vectors = new Float64Array(members.length * width);
  const sum = new Float64Array(width);
  const scores = new Float64Array(m);
  const layout = { clipped: width, bounded: 0, boundedShare: 0 };
  for (let t = 0; t < T; t++) {
    const batch = sampler.sample(noiseRng);
    vectors.fill(0, 0, batch.length * width);
    batch.forEach((b, r) => {
      const c = members[b];
      for (let k = 0; k < width; k++) if ((t * width + k) % m === c) vectors[r * width + k] = C;
    });
    measurement.release(vectors, batch.length, layout, noiseRng, sum);
    for (let k = 0; k < width; k++) scores[(t * width + k) % m] += sum[k];
  }
  const { guesses, correct } = scoreGuesses(scores, included, guessesPerSide(m), seed);
  return { epsilon: Number.isFinite(epsilon) ? epsilon : 'none', noiseMultiplier: sigma, guesses, correct, epsilonLower: oneRunEpsilonLowerBound(guesses, correct, { delta: Number.isFinite(epsilon) ? config.delta : 0, canaries: m }) };
}

/** Features scaled to [0, 1] by the card's public bounds (categories by level index); NaN kept. */
function scaledRows(table: Table): Float64Array[] {
  // Each column is read once: on a row-major table `values` is a fresh copy per read.
  const columns = table.features.map((c) => {
    const [lo, hi] = c.spec.bounds ?? [0, Math.max(1, (c.spec.categories?.length ?? 2) - 1)];
    return { values: c.values, lo, width: hi - lo };
  });
  return Array.from({ length: table.nRows }, (_, i) => Float64Array.from(columns, (c) => (c.values[i] - c.lo) / c.width));
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) if (!Number.isNaN(a[j]) && !Number.isNaN(b[j])) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s);
}

/** Score of a record against a released table: minus its distance to the nearest released row of its class. */
function distanceScore(record: Float64Array, label: number, released: Table): number {
  const rows = scaledRows(released);
  let best = Infinity;
  rows.forEach((row, i) => {
    if (released.label![i] === label) best = Math.min(best, distance(record, row));
  });
  return -best;
}

/** A table with extra rows appended (features and labels copied from `extra`). */
function withRows(base: Table, extra: Table, indices: readonly number[]): Table {
  const n = base.nRows + indices.length;
  const joined = <T extends Float64Array | Uint8Array>(a: ArrayLike<number>, b: ArrayLike<number>, out: T): T => {
    for (let i = 0; i < a.length; i++) out[i] = a[i];
    indices.forEach((i, k) => (out[a.length + k] = b[i]));
    return out;
  };
  return {
    card: base.card,
    nRows: n,
    features: base.features.map((c, f) => ({
      spec: c.spec,
      values: joined(c.values, extra.features[f].values, new Float64Array(n)),
      missing: joined(c.missing, extra.features[f].missing, new Uint8Array(n)),
    })),
    label: joined(base.label!, extra.label!, new Uint8Array(n)),
  };
}

/** Canary patients: even indices extreme outliers (a random corner of the bounds), odd ones typical (held-out rows). */
function canaryTable(card: DatasetCard, test: Table, m: number, rng: Rng): Table {
  const n = m;
  const features = card.features.map((spec, f) => {
    const held = test.features[f].values; // read once: a copy when the table is stored row-major
    const values = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      if (c % 2 === 0) {
        const [lo, hi] = spec.bounds ?? [0, Math.max(1, (spec.categories?.length ?? 2) - 1)];
        values[c] = rng.uniform() < 0.5 ? lo : hi;
      } else values[c] = held[(c * 7) % test.nRows];
    }
    return { spec, values, missing: Uint8Array.from(values, (v) => (Number.isNaN(v) ? 1 : 0)) };
  });
  return { card, nRows: n, features, label: Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0)) };
}

function condenseOptions(train: Table, epsilon: number, config: AuditConfig, seed: number): CondenseOptions {
  return { rows: 20, ...config.blackBox.condense, train, epsilon, delta: config.delta, seed } as CondenseOptions;
}

/** Black-box one-run audit of the whole pipeline on pima. */
export async function blackBoxOneRun(epsilon: number, config: AuditConfig, seed: number): Promise<OneRunResult> {
  const { train, test, card } = await loadBundledDataset('pima');
  const rng = new SeededRng(seed);
  const m = config.blackBox.canaries;
  const canaries = canaryTable(card, test, m, rng);
  const included = Uint8Array.from({ length: m }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const data = withRows(train, canaries, [...included.keys()].filter((c) => included[c]));
  const result = await condense(condenseOptions(data, epsilon, config, seed));
  const scaled = scaledRows(canaries);
  const scores = Float64Array.from(scaled, (row, c) => distanceScore(row, canaries.label![c], result.synthetic));
  const { guesses, correct } = scoreGuesses(scores, included, guessesPerSide(m), seed);
  return {
    epsilon: Number.isFinite(epsilon) ? epsilon : 'none',
    noiseMultiplier: result.settings.noiseMultiplier,
    guesses,
    correct,
    epsilonLower: oneRunEpsilonLowerBound(guesses, correct, { delta: Number.isFinite(epsilon) ? config.delta : 0, canaries: m }),
  };
}

export interface MembershipResult {
  epsilon: number | 'none';
  target: number;
  /** `distance`: minus the distance to the nearest released row of its class; `count`: the released DP count of its class. */
  score: MembershipScore;
  runs: number;
  auc: { auc: number; low: number; high: number };
  tprAt1PctFpr: { tpr: number; low: number; high: number; achievedFpr: number };
  /** 95 % lower bound on ε from TPR and FPR at that threshold (`membershipEpsilonLower`). */
  epsilonLower: number;
}

export type MembershipScore = 'distance' | 'count';
const MEMBERSHIP_SCORES: readonly MembershipScore[] = ['distance', 'count'];

/** A target's scores against one release: the released table (distance) and the released statistics (its class's DP count). */
function membershipScores(target: Float64Array, label: number, result: { synthetic: Table; released: { strataCounts: number[] } }): Record<MembershipScore, number> {
  return { distance: distanceScore(target, label, result.synthetic), count: result.released.strataCounts[label] };
}

/**
 * Membership inference on the `targets` most isolated training rows of pima: `runs` runs on the
 * training split without every target (the "out" worlds, shared by the targets) and, per target,
 * `runs` runs with that target added back. Two scores per release: the distance from the target
 * to the released table, and the released DP count of the target's class (the statistics every
 * release publishes beside the table: with no noise it moves by exactly one with the target).
 */
export async function membershipInference(epsilon: number, config: AuditConfig, seed: number): Promise<MembershipResult[]> {
  const { train } = await loadBundledDataset('pima');
  const scaled = scaledRows(train);
  const nearest = scaled.map((row, i) => Math.min(...scaled.map((other, j) => (i === j || train.label![i] !== train.label![j] ? Infinity : distance(row, other)))));
  const targets = [...nearest.keys()].sort((a, b) => nearest[b] - nearest[a]).slice(0, config.blackBox.targets);
  const rest = subsetTable(train, Int32Array.from([...Array(train.nRows).keys()].filter((i) => !targets.includes(i))));
  const { runs } = config.blackBox;
  const outScores = targets.map(() => [] as Record<MembershipScore, number>[]);
  for (let r = 0; r < runs; r++) {
    const result = await condense(condenseOptions(rest, epsilon, config, seed + r));
    targets.forEach((t, j) => outScores[j].push(membershipScores(scaled[t], train.label![t], result)));
  }
  const delta = Number.isFinite(epsilon) ? config.delta : 0;
  const results: MembershipResult[] = [];
  for (const [j, t] of targets.entries()) {
    const inScores: Record<MembershipScore, number>[] = [];
    for (let r = 0; r < runs; r++) {
      const result = await condense(condenseOptions(withRows(rest, train, [t]), epsilon, config, seed + 100000 + j * runs + r));
      inScores.push(membershipScores(scaled[t], train.label![t], result));
    }
    for (const score of MEMBERSHIP_SCORES) {
      const members = inScores.map((s) => s[score]);
      const nonMembers = outScores[j].map((s) => s[score]);
      const tpr = tprAtFpr(members, nonMembers, 0.01);
      results.push({
        epsilon: Number.isFinite(epsilon) ? epsilon : 'none',
        target: t,
        score,
        runs,
        auc: aucWithInterval(members, nonMembers),
        tprAt1PctFpr: { tpr: tpr.tpr, low: tpr.low, high: tpr.high, achievedFpr: tpr.achievedFpr },
        epsilonLower: membershipEpsilonLower(tpr.hits, runs, tpr.falseHits, runs, delta),
      });
    }
  }
  return results;
}

export interface AuditReport {
  config: AuditConfig;
  whiteBox: OneRunResult[][];
  blackBox: OneRunResult[];
  membership: MembershipResult[][];
  seconds: number;
}

export async function runAudit(config: AuditConfig, log: (line: string) => void = () => {}): Promise<AuditReport> {
  const started = Date.now();
  const settings = [...config.epsilons, ...(config.control === false ? [] : [Infinity])];
  const runs = (part: AuditPart) => (config.parts ?? AUDIT_PARTS).includes(part);
  const whiteBox = settings.filter(() => runs('white-box')).map((eps) => Array.from({ length: config.whiteBox.repeats }, (_, r) => whiteBoxOneRun(eps, config, config.seed + r)));
  for (const rows of whiteBox) log(`white-box ε=${rows[0].epsilon}: σ=${rows[0].noiseMultiplier.toFixed(3)}, lower bounds ${rows.map((r) => r.epsilonLower.toFixed(2)).join(' ')}`);
  const blackBox: OneRunResult[] = [];
  for (const eps of settings.filter(() => runs('black-box'))) {
    blackBox.push(await blackBoxOneRun(eps, config, config.seed));
    log(`black-box one-run ε=${blackBox.at(-1)!.epsilon}: ${blackBox.at(-1)!.correct}/${blackBox.at(-1)!.guesses} correct, lower bound ${blackBox.at(-1)!.epsilonLower.toFixed(2)}`);
  }
  const membership: MembershipResult[][] = [];
  for (const eps of settings.filter(() => runs('membership'))) {
    membership.push(await membershipInference(eps, config, config.seed));
    for (const m of membership.at(-1)!) log(`membership ε=${m.epsilon} target ${m.target} (${m.score}): ε ≥ ${m.epsilonLower.toFixed(2)}, AUC ${m.auc.auc.toFixed(3)} [${m.auc.low.toFixed(3)}, ${m.auc.high.toFixed(3)}], TPR@1%FPR ${m.tprAt1PctFpr.tpr.toFixed(3)} [${m.tprAt1PctFpr.low.toFixed(3)}, ${m.tprAt1PctFpr.high.toFixed(3)}]`);
  }
  return { config, whiteBox, blackBox, membership, seconds: (Date.now() - started) / 1000 };
}

/** The report as the Markdown tables of docs/AUDIT.md. */
export function formatAudit(report: AuditReport): string {
  const eps = (e: number | 'none') => (e === 'none' ? '∞ (no noise)' : String(e));
  const lines = ['| ε (accountant) | σ | correct / guesses (per repeat) | 95 % lower bound on ε (per repeat) |', '|---|---|---|---|'];
  for (const rows of report.whiteBox) {
    lines.push(`| ${eps(rows[0].epsilon)} | ${rows[0].noiseMultiplier.toFixed(3)} | ${rows.map((r) => `${r.correct}/${r.guesses}`).join(', ')} | ${rows.map((r) => r.epsilonLower.toFixed(2)).join(', ')} |`);
  }
  lines.push('', '| ε (accountant) | σ (steps) | correct / guesses | 95 % lower bound on ε |', '|---|---|---|---|');
  for (const r of report.blackBox) lines.push(`| ${eps(r.epsilon)} | ${r.noiseMultiplier.toFixed(3)} | ${r.correct}/${r.guesses} | ${r.epsilonLower.toFixed(2)} |`);
  lines.push('', '| ε | target row | score | runs in / out | AUC [95 % CI] | TPR at FPR ≤ 1 % [95 % CI] (achieved FPR) | 95 % lower bound on ε |', '|---|---|---|---|---|---|---|');
  for (const rows of report.membership) {
    for (const m of rows) {
      lines.push(`| ${eps(m.epsilon)} | ${m.target} | ${m.score} | ${m.runs} / ${m.runs} | ${m.auc.auc.toFixed(3)} [${m.auc.low.toFixed(3)}, ${m.auc.high.toFixed(3)}] | ${m.tprAt1PctFpr.tpr.toFixed(3)} [${m.tprAt1PctFpr.low.toFixed(3)}, ${m.tprAt1PctFpr.high.toFixed(3)}] (${m.tprAt1PctFpr.achievedFpr.toFixed(3)}) | ${m.epsilonLower.toFixed(2)} |`);
    }
  }
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('audit')
    .description('empirical privacy audit (docs/AUDIT.md)')
    .option('--quick', 'the small configuration of the test suite')
    .option('--runs <n>', 'membership-inference runs per world (default 50)')
    .option('--epsilons <list>', 'ε values to audit besides the no-noise control (default 1,3,8)')
    .option('--no-control', 'skip the no-noise control')
    .option('--canaries <m>', 'white-box canaries (default 1000)')
    .option('--json <file>', 'also write the full report as JSON')
    .option('--only <parts>', `attacks to run, comma-separated (default all: ${AUDIT_PARTS.join(',')})`)
    .parse(argv);
  const o = program.opts<{ quick?: boolean; runs?: string; canaries?: string; json?: string; epsilons?: string; control: boolean; only?: string }>();
  const parts = o.only?.split(',').map((p) => p.trim());
  const unknown = parts?.filter((p) => !(AUDIT_PARTS as readonly string[]).includes(p));
  if (unknown?.length) throw new Error(`--only: unknown part(s) ${unknown.join(', ')} (known: ${AUDIT_PARTS.join(', ')})`);
  const base = o.quick ? QUICK_AUDIT : DEFAULT_AUDIT;
  const config: AuditConfig = {
    ...base,
    ...(o.epsilons ? { epsilons: o.epsilons.split(',').map(Number) } : {}),
    control: o.control,
    ...(parts ? { parts: parts as AuditPart[] } : {}),
    whiteBox: { ...base.whiteBox, ...(o.canaries ? { canaries: Number(o.canaries) } : {}) },
    blackBox: { ...base.blackBox, ...(o.runs ? { runs: Number(o.runs) } : {}) },
  };
  const report = await runAudit(config, (line) => process.stderr.write(line + '\n'));
  process.stdout.write(formatAudit(report));
  // The machine's load decides whether the wall time is representative (docs/AUDIT.md quotes both).
  process.stdout.write(`\n(${report.seconds.toFixed(0)} s; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')} over 1 / 5 / 15 min, ${availableParallelism()} cores)\n`);
  if (o.json) writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
