/**
 * How far the private start's statistics are from the truth: for each dataset, ε and settings
 * variant, the stratum moments exactly as `condense` measures them (its budget plan, bounds, data
 * ranges, task strata and stratum-moments query; the first measurement, before any noise-figure
 * gate), against the exact moments of a non-private run on the same code path. The error of each
 * stratum's mean of each numeric feature is measured in that feature's true (within-stratum, pooled)
 * standard deviations and averaged over strata, features and seeds; beside it, the average width
 * of the bounds the moments used, in the same units, and the quantiles of each stratum's DP sd over its
 * true sd (the spread the start draws its rows with). A direct check of a change to the statistics
 * before any utility grid (docs/RESULTS.md, "The private start's statistics").
 *
 *   node dist/bench/momentsError.js --datasets pima,wdbc --epsilons 1,3,8 --seeds 10 \
 *     --set '[{},{"dataRanges":true},{"momentsClip":0.7}]'
 */
import { Command } from 'commander';
import { SeededRng } from '../core/rng.js';
import type { Table } from '../data/table.js';
import { loadBundledDataset } from '../node/bundled.js';
import { planBudget } from '../condense/budget.js';
import { REFERENCE_ROWS, resolveSettings, type CondenseSettings } from '../condense/settings.js';
import { privatePreprocessing, type StratumMoments } from '../condense/privateStatistics.js';
import { newTask } from '../condense/task.js';
import { PrivacyLedger } from '../privacy/ledger.js';
import { DataAccessScope } from '../privacy/dataAccess.js';
import { isEntryPoint, report } from './script.js';

type Variant = Partial<CondenseSettings>;

/** The stratum moments and bounds a run with these settings starts from (seeded noise). */
export function startMoments(train: Table, variant: Variant, epsilon: number, seed: number): { moments: StratumMoments[]; featureBounds: [number, number][] } {
  // The table size does not enter the statistics (only the steps' plan, not run here).
  const settings = resolveSettings({ train, epsilon, seed, ...variant, rows: REFERENCE_ROWS[train.card.task] });
  const budget = planBudget(settings, train.card);
  const noiseRng = new SeededRng(seed).fork();
  const ledger = new PrivacyLedger({ epsilon: settings.epsilon, delta: settings.delta, accountant: settings.accountant });
  const ctx = { isPrivate: settings.isPrivate, ledger, noiseRng, scope: new DataAccessScope() };
  const sigma = budget.preprocessingNoiseMultiplier;
  const momentsClip = settings.isPrivate ? settings.momentsClip : undefined;
  const { featureBounds, momentsQuery } = privatePreprocessing(train, budget, { task: settings.task, bounds: settings.bounds, momentsClip }, ctx, sigma, (hist) => newTask(settings.task, hist));
  const measured = momentsQuery.measure(ctx, sigma);
  return { moments: momentsQuery.decode(measured.sums, measured.noiseStd, settings.presenceCounts, settings.spreadEstimate), featureBounds };
}

export async function momentsError(datasets: string[], epsilons: number[], seeds: number, variants: Variant[]): Promise<string> {
  const lines: string[] = [];
  for (const name of datasets) {
    const { train } = await loadBundledDataset(name);
    const numeric = train.card.features.flatMap((f, j) => (f.type === 'numeric' || f.type === 'integer' ? [j] : []));
    const truth = startMoments(train, {}, Infinity, 1);
    const total = truth.moments.reduce((a, s) => a + s.count, 0);
    const sd = numeric.map((j) => Math.sqrt(truth.moments.reduce((a, s) => a + s.count * s.features[j].sd ** 2, 0) / total));
    lines.push(`${name}: ${train.nRows} records, strata ${truth.moments.map((s) => Math.round(s.count)).join('/')}, ${numeric.length} numeric features`);
    for (const epsilon of epsilons) {
      const cells = variants.map((variant) => {
        let error = 0;
        let width = 0;
        // Each stratum's DP sd over its true sd: the spread the start draws its rows with.
        const spreadRatios: number[] = [];
        for (let seed = 1; seed <= seeds; seed++) {
          const run = startMoments(train, variant, epsilon, seed);
          run.moments.forEach((stratum, s) =>
            numeric.forEach((j, k) => {
              error += Math.abs(stratum.features[j].mean - truth.moments[s].features[j].mean) / sd[k];
              spreadRatios.push(stratum.features[j].sd / truth.moments[s].features[j].sd);
            }),
          );
          numeric.forEach((j, k) => (width += (run.featureBounds[j][1] - run.featureBounds[j][0]) / sd[k]));
        }
        const n = seeds * numeric.length;
        spreadRatios.sort((a, b) => a - b);
        const quantile = (p: number): string => spreadRatios[Math.round(p * (spreadRatios.length - 1))].toFixed(2);
        return `${JSON.stringify(variant)} error ${(error / (n * truth.moments.length)).toFixed(3)} sd, bounds ${(width / n).toFixed(1)} sd, DP sd / true sd ${quantile(0.5)} (10–90 %: ${quantile(0.1)}–${quantile(0.9)})`;
      });
      lines.push(`  ε = ${epsilon}: ${cells.join(' | ')}`);
    }
  }
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const o = new Command()
    .option('--datasets <list>', 'datasets', 'pima,wdbc,physionet2012,support,metabric,rotterdam')
    .option('--epsilons <list>', 'ε values', '1,3,8')
    .option('--seeds <n>', 'seeds', '10')
    .option('--set <json>', 'settings variants (JSON array)', '[{},{"dataRanges":true}]')
    .parse(process.argv.slice(2), { from: 'user' })
    .opts();
  report(momentsError(String(o.datasets).split(','), String(o.epsilons).split(',').map(Number), Number(o.seeds), JSON.parse(String(o.set)) as Variant[]));
}
