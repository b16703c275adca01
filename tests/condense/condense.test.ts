import { describe, expect, it } from 'vitest';
import { NonFiniteReleaseError, assertFiniteRelease, condense, CondenseAbortedError, type LearnerChoice } from '../../src/condense/condense.js';
import { DataAccessScope, MECHANISM } from '../../src/privacy/dataAccess.js';
import { tableTarget, type Table } from '../../src/data/table.js';
import { PrivacyLedger, type MechanismEntry } from '../../src/privacy/index.js';
import { calibrateJointGaussianQueries } from '../../src/privacy/measurements.js';
import { auditor, dataset } from './helpers.js';

const FAST = { steps: 20, directions: 4 };

describe('condense: privacy bookkeeping', () => {
  it('charges every mechanism and its receipt ε is what the accountant computes from the entries', async () => {
    const { train, sha256 } = await dataset('pima');
    const result = await condense({ train, rows: 20, epsilon: 2, delta: 1e-5, inputFingerprint: sha256, ...FAST });
    const r = result.receipt;
    expect(r.private_release).toBe(true);
    expect(r.reasons_not_private).toEqual([]);
    expect(r.entries.map((e) => e.name)).toEqual([MECHANISM.stratumMoments, MECHANISM.zeroOrderSteps]);
    expect(r.input_fingerprint.hex).toBe(sha256);
    // Replay the receipt's entries into a fresh ledger: the same ε, within the budget.
    const replay = new PrivacyLedger({ epsilon: 2, delta: 1e-5 });
    for (const e of r.entries) {
      const entry = (e.kind === 'subsampled_gaussian'
        ? { kind: e.kind, name: e.name, noiseMultiplier: e.noise_multiplier, samplingRate: e.sampling_rate, steps: e.steps }
        : { kind: e.kind, name: e.name, noiseMultiplier: e.noise_multiplier }) as MechanismEntry;
      replay.charge(entry);
    }
    expect(r.epsilon as number).toBeCloseTo(replay.spent().epsilon, 12);
    expect(r.epsilon as number).toBeLessThanOrEqual(2);
    expect(r.epsilon as number).toBeGreaterThan(2 * 0.99); // the calibration spends the budget
    expect(r.parameters.noiseMultiplier).toBe(result.settings.noiseMultiplier);
  });

  it('charges a DP bounds query for features without public bounds (physionet2012)', async () => {
    const { train } = await dataset('physionet2012');
    const result = await condense({ train, rows: 10, epsilon: 3, steps: 2, directions: 2 });
    // (116 features: by default the focused moments measurement over the 30 kept features follows the first.)
    expect(result.receipt.entries.map((e) => e.name)).toEqual([MECHANISM.featureBounds, MECHANISM.stratumMoments, MECHANISM.focusedStratumMoments, MECHANISM.zeroOrderSteps]);
    // Every released numeric value lies inside the DP bounds the encoder used.
    result.synthetic.features.forEach((column, f) => {
      const { lowBounds, highBounds } = result.encoder;
      column.values.forEach((v) => {
        if (!Number.isNaN(v) && (column.spec.type === 'numeric' || column.spec.type === 'integer')) {
          expect(v).toBeGreaterThanOrEqual(lowBounds[f]);
          expect(v).toBeLessThanOrEqual(highBounds[f]);
        }
      });
    });
  });

  it('with data ranges, narrows the DP bounds too (physionet2012) and the preprocessing queries share σ for (0.6·ε) over three queries', async () => {
    const { train } = await dataset('physionet2012');
    const plain = await condense({ train, rows: 10, epsilon: 3, steps: 2, directions: 2, seed: 5 });
    const ranged = await condense({ train, rows: 10, epsilon: 3, steps: 2, directions: 2, seed: 5, dataRanges: true });
    expect(ranged.receipt.entries.map((e) => e.name)).toEqual([MECHANISM.featureBounds, MECHANISM.dataRanges, MECHANISM.stratumMoments, MECHANISM.focusedStratumMoments, MECHANISM.zeroOrderSteps]);
    // 116 features: the statistics' default share is 0.6 (`defaultPreprocessingShare`).
    expect(ranged.settings.preprocessingShare).toBe(0.6);
    const sigma = calibrateJointGaussianQueries({ epsilon: 3 * 0.6, delta: ranged.settings.delta, queries: 3, accountant: 'rdp' });
    for (const e of ranged.receipt.entries.slice(0, 2)) expect(e.noise_multiplier).toBe(sigma);
    // The moments' share of it split between the all-feature and the focused query (precisions add up).
    const [s1, s2] = ranged.receipt.entries.slice(2, 4).map((e) => e.noise_multiplier as number);
    expect(1 / (s1 * s1) + 1 / (s2 * s2)).toBeCloseTo(1 / (sigma * sigma), 12);
    // Far narrower in total than the DP bounds alone (the ranges keep the dense core and its tails).
    const width = (r: typeof plain) => r.encoder.highBounds.reduce((a, high, f) => a + (high - r.encoder.lowBounds[f]), 0);
    expect(width(ranged)).toBeLessThan(0.8 * width(plain));
  });

  it('a non-private run says so: ε = ∞ and the reasons', async () => {
    const { train } = await dataset('pima');
    const r = (await condense({ train, rows: 20, epsilon: Infinity, seed: 3, ...FAST })).receipt;
    expect(r.private_release).toBe(false);
    expect(r.epsilon).toBe('Infinity');
    expect(r.reasons_not_private.join(' ')).toMatch(/non-private/);
    expect(r.reasons_not_private.join(' ')).toMatch(/seeded/);
  });

  it('a seeded run is reproducible and never a private release', async () => {
    const { train } = await dataset('pima');
    const a = await condense({ train, rows: 20, epsilon: 3, seed: 11, ...FAST });
    const b = await condense({ train, rows: 20, epsilon: 3, seed: 11, ...FAST });
    expect(a.synthetic.features.map((c) => Array.from(c.values))).toEqual(b.synthetic.features.map((c) => Array.from(c.values)));
    expect(a.receipt.private_release).toBe(false);
  });

  it('never exceeds the budget, even when preprocessing leaves almost nothing for the steps', async () => {
    const { train } = await dataset('pima');
    // The steps' noise figure is huge here; the gate is opened (limit ∞) so that the steps do run.
    const result = await condense({ train, rows: 20, epsilon: 1, preprocessingShare: 0.999, noiseFigureLimit: Infinity, ...FAST });
    expect(result.receipt.epsilon as number).toBeLessThanOrEqual(1);
    // The steps get the sliver that is left: a far larger noise multiplier than with the default share.
    const normal = await condense({ train, rows: 20, epsilon: 1, ...FAST });
    expect(result.settings.noiseMultiplier).toBeGreaterThan(10 * normal.settings.noiseMultiplier);
  });
});

describe('condense: no real row leaves, and real data is read only inside charged mechanisms', () => {
  async function auditedRun(name: string, epsilon: number, extra: { selectionShare?: number; dataRanges?: boolean; rangesShare?: number; momentsClip?: number; timeOrder?: 'quantile'; iterateAverage?: 'tail'; featureFocus?: number; focusedMomentsShare?: number } = {}) {
    const { train } = await dataset(name);
    const scope = new DataAccessScope();
    const { reads, watchTable } = auditor(scope);
    const audited = watchTable(train);
    reads.clear();
    const result = await condense({ train: audited, rows: name === 'pima' ? 20 : 12, epsilon, steps: 3, directions: 2, ...extra }, { scope });
    return { reads, result };
  }

  it('the audit sees reads of derived copies and of the row count', () => {
    const scope = new DataAccessScope();
    const { reads, watch, watchTable } = auditor(scope);
    const copy = watch(Float64Array.from([1, 2, 3]), 'x').slice(1);
    reads.clear();
    void copy[0];
    expect([...reads.keys()]).toEqual(['OUTSIDE (x.slice())']);
    reads.clear();
    void scope.inside('m', () => copy[1]);
    void watchTable({ card: {} as Table['card'], nRows: 3, features: [] }).nRows;
    expect([...reads.keys()].sort()).toEqual(['OUTSIDE (nRows)', 'm']);
  });

  it.each([
    ['pima', {}],
    ['rotterdam', {}],
    ['pima', { selectionShare: 0.1 }],
    ['rotterdam', { dataRanges: true, momentsClip: 0.7 }],
    // The loose-bounds histogram, with and beside the focused moments measurement (three parts of the moments' ρ).
    ['wdbc', { rangesShare: 0.25 }],
    ['rotterdam', { rangesShare: 0.25, featureFocus: 2, focusedMomentsShare: 0.5 }],
    ['rotterdam', { timeOrder: 'quantile' as const }],
    ['pima', { selectionShare: 0.1, iterateAverage: 'tail' as const }],
    // The focused steps: the kept set and the frozen values come from the released moments only.
    ['pima', { selectionShare: 0.1, featureFocus: 3 }],
    ['rotterdam', { featureFocus: 2 }],
    // The focused second moments measurement over the kept features (its entry must be charged too).
    ['pima', { selectionShare: 0.1, featureFocus: 3, focusedMomentsShare: 0.5 }],
    ['rotterdam', { featureFocus: 2, focusedMomentsShare: 0.5 }],
  ])('%s %j: every read happens inside a mechanism the ledger charged', async (name, extra) => {
    const { reads, result } = await auditedRun(name, 3, extra);
    const charged = new Set(result.receipt.entries.map((e) => e.name));
    expect(reads.size).toBeGreaterThan(0);
    for (const [where, count] of reads) {
      expect(where, `${count} reads`).not.toMatch(/^OUTSIDE/);
      // The statistics' one pass reads for several mechanisms at once ("a + b"): each must be charged.
      for (const mechanism of where.split(' + ')) expect(charged.has(mechanism), `reads inside "${where}" must be charged (${mechanism})`).toBe(true);
    }
  });

  it('no real training row appears in a private release (and the check does catch copies)', async () => {
    const { train } = await dataset('pima');
    // A released row "is" real row i when it equals every value observed in row i (to 1e-9
    // relative, so encoding round-off cannot hide a copy; missing real values match anything).
    const copiesRealRow = (t: typeof train, r: number) => {
      for (let i = 0; i < train.nRows; i++) {
        const same = train.features.every((c, f) => c.missing[i] || Math.abs(t.features[f].values[r] - c.values[i]) <= 1e-9 * (1 + Math.abs(c.values[i])));
        if (same) return true;
      }
      return false;
    };
    const released = (await condense({ train, rows: 20, epsilon: 3, ...FAST })).synthetic;
    for (let r = 0; r < released.nRows; r++) expect(copiesRealRow(released, r), `row ${r}`).toBe(false);
    // Power of the check: a non-private run initialised with copies, and no steps, is all copies.
    const copies = (await condense({ train, rows: 20, epsilon: Infinity, steps: 0, initialisation: 'real-rows', twins: 0, seed: 1 })).synthetic;
    for (let r = 0; r < copies.nRows; r++) expect(copiesRealRow(copies, r), `row ${r}`).toBe(true);
  });
});

describe('condense: the optimisation and the release', () => {
  it('lowers the loss (non-private CART on pima) and releases rows in the input schema', async () => {
    const { train } = await dataset('pima');
    const result = await condense({ train, rows: 20, epsilon: Infinity, seed: 5, steps: 120 });
    const first = result.trace.slice(0, 10).reduce((a, t) => a + t.loss, 0) / 10;
    const last = result.trace.slice(-10).reduce((a, t) => a + t.loss, 0) / 10;
    expect(last).toBeLessThan(first);
    const s = result.synthetic;
    expect(s.features.map((c) => c.spec.name)).toEqual(train.features.map((c) => c.spec.name));
    const y = tableTarget(s);
    expect(y.task === 'classification' && Array.from(y.y).filter((v) => v === 1).length).toBe(10);
    s.features.forEach((c) => {
      const [lo, hi] = c.spec.bounds!;
      c.values.forEach((v) => {
        expect(v).toBeGreaterThanOrEqual(lo);
        expect(v).toBeLessThanOrEqual(hi);
        if (c.spec.type === 'integer') expect(Number.isInteger(v)).toBe(true);
      });
    });
  });

  it('survival: synthetic times come from the private time distribution, categorical levels stay valid', async () => {
    const { train } = await dataset('rotterdam');
    const result = await condense({ train, rows: 30, epsilon: 8, ...FAST });
    const s = result.synthetic;
    const events = Array.from(s.event!).filter((e) => e === 1).length;
    expect(events).toBeGreaterThan(5);
    expect(events).toBeLessThan(30);
    const maxTime = Math.max(...train.time!);
    s.time!.forEach((t) => {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThan(2 * maxTime);
    });
    const size = s.features.find((c) => c.spec.name === 'size')!;
    size.values.forEach((v) => expect([0, 1, 2]).toContain(v));
  });

  it('survival: optionally optimises the follow-up times too, keeping them inside the private time range', async () => {
    const { train } = await dataset('rotterdam');
    const fixed = await condense({ train, rows: 30, epsilon: 8, seed: 2, ...FAST });
    const moved = await condense({ train, rows: 30, epsilon: 8, seed: 2, optimiseTimes: true, ...FAST });
    expect(moved.settings.optimiseTimes).toBe(true);
    expect(Array.from(moved.synthetic.event!)).toEqual(Array.from(fixed.synthetic.event!));
    const changed = Array.from(moved.synthetic.time!).filter((t, i) => Math.abs(t - fixed.synthetic.time![i]) > 1e-9 * t).length;
    expect(changed).toBeGreaterThan(15);
    const maxTime = Math.max(...train.time!);
    moved.synthetic.time!.forEach((t) => {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThan(2 * maxTime);
    });
  });

  it('optimises several learners at once and reports progress; an abort stops the run', async () => {
    const { train } = await dataset('pima');
    const steps: number[] = [];
    const result = await condense({ train, rows: 20, epsilon: 8, learners: ['cart', 'logistic'], onProgress: (p) => steps.push(p.step), ...FAST });
    expect(steps).toEqual(Array.from({ length: FAST.steps }, (_, i) => i + 1));
    expect((result.receipt.parameters.learners as { name: string }[]).map((l) => l.name)).toEqual(['cart', 'logistic']);
    const controller = new AbortController();
    const run = condense({ train, rows: 20, epsilon: 8, ...FAST, onProgress: (p) => p.step === 2 && controller.abort(), signal: controller.signal });
    await expect(run).rejects.toBeInstanceOf(CondenseAbortedError);
  });

  it('survival: the receipt lists the learners condensed for, and adding a learner to the loss spends the same ε through the same mechanisms', async () => {
    // The learners only change what the zero-order loss evaluates, never what is measured of the records.
    const { train } = await dataset('rotterdam');
    const run = (learners?: string[]) => condense({ train, rows: 12, epsilon: 3, steps: 4, directions: 2, seed: 9, ...(learners ? { learners } : {}) });
    const [byDefault, withTree] = [await run(), await run(['cox', 'survtree'])];
    expect((byDefault.receipt.parameters.learners as { name: string }[]).map((l) => l.name)).toEqual(['cox']);
    expect((withTree.receipt.parameters.learners as { name: string }[]).map((l) => l.name)).toEqual(['cox', 'survtree']);
    // The default judges Cox with its coefficients halved (rule N); a Cox named by the caller is the plain fit.
    const coxParams = (r: typeof byDefault) => (r.receipt.parameters.learners as { params: { shrinkage: number } }[])[0].params;
    expect(coxParams(byDefault).shrinkage).toBe(0.5);
    expect(coxParams(withTree).shrinkage).toBe(1);
    expect(withTree.receipt.entries).toEqual(byDefault.receipt.entries);
    expect(withTree.receipt.epsilon).toBe(byDefault.receipt.epsilon);
    expect(Array.from(withTree.synthetic.features[0].values)).not.toEqual(Array.from(byDefault.synthetic.features[0].values));
  });

  it('classification: by default the loss also fits a 4-tree forest, listed in the receipt, at the same ε through the same mechanisms', async () => {
    // docs/RESULTS.md, "Session 30": the forest joined the default loss by a rule fixed before its grid.
    const { train } = await dataset('pima');
    const run = (learners?: LearnerChoice[]) => condense({ train, rows: 10, epsilon: 3, steps: 4, directions: 2, seed: 9, ...(learners ? { learners } : {}) });
    const [byDefault, explicit, before] = [await run(), await run(['logistic', 'cart', { name: 'rf', params: { nTrees: 4 } }]), await run(['logistic', 'cart'])];
    const listed = byDefault.receipt.parameters.learners as { name: string; params: Record<string, unknown> }[];
    expect(listed.map((l) => l.name)).toEqual(['logistic', 'cart', 'rf']);
    expect(listed[2].params.nTrees).toBe(4);
    // The default is exactly the explicit choice, and the forest changes only what the loss evaluates.
    expect(Array.from(explicit.synthetic.features[0].values)).toEqual(Array.from(byDefault.synthetic.features[0].values));
    expect(before.receipt.entries).toEqual(byDefault.receipt.entries);
    expect(before.receipt.epsilon).toBe(byDefault.receipt.epsilon);
    expect(Array.from(before.synthetic.features[1].values)).not.toEqual(Array.from(byDefault.synthetic.features[1].values));
  });

  it('rejects bad options before spending anything', async () => {
    const { train } = await dataset('pima');
    await expect(condense({ train, rows: 1, epsilon: 1 })).rejects.toThrow(/rows/);
    await expect(condense({ train, rows: 20, epsilon: 0 })).rejects.toThrow(/epsilon/);
    await expect(condense({ train, rows: 20, epsilon: 1, delta: 2 })).rejects.toThrow(/delta/);
    await expect(condense({ train, rows: 20, epsilon: 1, learners: ['cox'] })).rejects.toThrow(/survival/);
    await expect(condense({ train, rows: 20, epsilon: 1, learners: ['nope'] })).rejects.toThrow(/unknown learner/);
    // pMin bounds the loss: 0 (unbounded cross-entropy) and ≥ 0.5 are refused.
    for (const [pMin, message] of [[0, /pMin must be > 0/], [-0.1, /pMin must be > 0/], [0.5, /pMin must be < 0\.5/], [0.7, /pMin must be < 0\.5/], [NaN, /pMin/]] as const) {
      await expect(condense({ train, rows: 20, epsilon: 1, pMin, loss: 'cross-entropy' }), `pMin ${pMin}`).rejects.toThrow(message);
    }
  });

  it('a draft card is refused, or with acceptDraftCard gives a release that says it is not private', async () => {
    const { train } = await dataset('pima');
    const draft = { ...train, card: { ...train.card, draft: true } };
    await expect(condense({ train: draft, rows: 20, epsilon: 3, ...FAST })).rejects.toThrow(/draft/);
    const r = (await condense({ train: draft, rows: 20, epsilon: 3, acceptDraftCard: true, ...FAST })).receipt;
    expect(r.private_release).toBe(false);
    expect(r.reasons_not_private.join(' ')).toMatch(/unreviewed draft/);
  });

  it('a tiny pMin with cross-entropy still releases a finite table and a finite private loss', async () => {
    const { train } = await dataset('pima');
    const result = await condense({ train, rows: 20, epsilon: 3, pMin: 1e-300, loss: 'cross-entropy', ...FAST });
    expect(result.receipt.private_release).toBe(true);
    for (const c of result.synthetic.features) for (const v of c.values) expect(Number.isFinite(v)).toBe(true);
    for (const t of result.trace) expect(Number.isFinite(t.loss)).toBe(true);
  });

  it('a release with a non-finite cell is refused', () => {
    const outcome = { task: 'classification', y: new Uint8Array(2) } as const;
    expect(() => assertFiniteRelease(Float64Array.from([0, 1, NaN]), outcome)).toThrow(NonFiniteReleaseError);
    expect(() => assertFiniteRelease(Float64Array.from([0, Infinity]), outcome)).toThrow(/nothing is released/);
    expect(() => assertFiniteRelease(Float64Array.from([0]), { task: 'survival', time: Float64Array.from([1, NaN]), event: new Uint8Array(2) })).toThrow(NonFiniteReleaseError);
    expect(() => assertFiniteRelease(Float64Array.from([0, -3]), outcome)).not.toThrow();
  });
});

describe('receipt software version', () => {
  it('matches package.json', async () => {
    const { SOFTWARE } = await import('../../src/core/version.js');
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(SOFTWARE).toEqual({ name: pkg.name, version: pkg.version });
  });
});
