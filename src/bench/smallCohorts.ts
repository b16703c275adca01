/**
 * Condensation on small cohorts: each dataset's training split subsampled to n records (one fixed
 * draw per n), condensed at each ε with the default settings, and scored on the dataset's full test
 * split — beside random real subsets of the same m rows drawn from the same n records, and the cohort
 * figure √d / (n·√ρ) of `src/condense/cohortSize.ts` (with the true n: this is a research script).
 * The measurement behind the cohort-size caveat (docs/RESULTS.md, "Session 34: small cohorts").
 *
 *   node dist/bench/smallCohorts.js --datasets rotterdam,metabric,support --sizes 400,800,1600 \
 *     --epsilons 1,3 --seeds 8
 */
import { Command } from 'commander';
import { SeededRng } from '../core/rng.js';
import { subsetTable, type Table } from '../data/table.js';
import { loadBundledDataset } from '../node/bundled.js';
import { condense } from '../condense/condense.js';
import { evaluateUtility } from '../condense/evaluation.js';
import { randomSubset } from '../condense/baselines.js';
import { cohortFigure } from '../condense/cohortSize.js';
import { DEFAULTS, REFERENCE_ROWS } from '../condense/settings.js';
import { meanSd } from './experiments.js';
import { isEntryPoint, report } from './script.js';

export interface SmallCohortOptions {
  datasets: string[];
  sizes: number[];
  epsilons: number[];
  seeds: number;
  /** Evaluation learners per task (default: the condensation learner and the second one of issue 11). */
  learners?: Partial<Record<'classification' | 'survival', string[]>>;
}

const LEARNERS = { classification: ['cart', 'logistic'], survival: ['cox', 'rsf'] };

/** The first n records of a fixed shuffle of the training split (the same for every ε and seed). */
export function subsampleCohort(train: Table, n: number): Table {
  if (n >= train.nRows) return train;
  const order = Array.from({ length: train.nRows }, (_, i) => i);
  const rng = new SeededRng(12345);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return subsetTable(train, order.slice(0, n).sort((a, b) => a - b));
}

/** mean ± sd (worst), in this script's table form. */
function summary(values: number[]): string {
  const { mean, sd } = meanSd(values);
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)} (${Math.min(...values).toFixed(3)})`;
}

export async function smallCohorts(o: SmallCohortOptions): Promise<string> {
  const lines = ['dataset | n | ε | cohort figure | learner | random subset | dpcondense | difference of means'];
  for (const name of o.datasets) {
    const data = await loadBundledDataset(name);
    const task = data.train.card.task;
    const learners = o.learners?.[task] ?? LEARNERS[task];
    const rows = REFERENCE_ROWS[task];
    for (const n of o.sizes) {
      const cohort = subsampleCohort(data.train, n);
      const score = (table: Table, learner: string, seed: number) => evaluateUtility(table, data.test, learner, new SeededRng(seed)).value;
      const random = learners.map((l) => [] as number[]);
      for (let seed = 1; seed <= o.seeds; seed++) {
        const subset = randomSubset(cohort, rows, new SeededRng(seed));
        learners.forEach((l, k) => random[k].push(score(subset, l, seed)));
      }
      for (const epsilon of o.epsilons) {
        const condensed = learners.map(() => [] as number[]);
        for (let seed = 1; seed <= o.seeds; seed++) {
          const { synthetic } = await condense({ train: cohort, rows, epsilon, seed });
          learners.forEach((l, k) => condensed[k].push(score(synthetic, l, seed)));
        }
        const figure = cohortFigure(cohort.card.features.length, cohort.nRows, epsilon, DEFAULTS.delta);
        learners.forEach((l, k) => {
          const gap = meanSd(condensed[k]).mean - meanSd(random[k]).mean;
          lines.push(`${name} | ${cohort.nRows} | ${epsilon} | ${figure.toFixed(4)} | ${l} | ${summary(random[k])} | ${summary(condensed[k])} | ${gap >= 0 ? '+' : ''}${gap.toFixed(3)}`);
        });
      }
    }
  }
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const o = new Command()
    .option('--datasets <list>', 'datasets', 'rotterdam,metabric,support')
    .option('--sizes <list>', 'cohort sizes n (a size at or above the training split uses all of it)', '400,800,1600')
    .option('--epsilons <list>', 'ε values', '1,3')
    .option('--seeds <n>', 'seeds (condensations and random subsets per cell)', '8')
    .parse(process.argv.slice(2), { from: 'user' })
    .opts();
  const list = (value: unknown) => String(value).split(',');
  report(smallCohorts({ datasets: list(o.datasets), sizes: list(o.sizes).map(Number), epsilons: list(o.epsilons).map(Number), seeds: Number(o.seeds) }));
}
