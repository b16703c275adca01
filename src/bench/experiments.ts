/**
 * Condensation experiments (issue "The condensation engine", acceptance tables): for each bundled
 * dataset, the test metric of the default learner trained on
 *   full real data · random real subset of m rows · per-stratum k-means centroids ·
 *   DP per-stratum Gaussian at each ε · MST at each ε, at full size (`mst-full`) and subsampled to
 *   m rows like the random subset (`mst`) · dpcondense at each ε (∞ = non-private condensation),
 * over several seeds (mean ± sd). Seeded runs are research runs, not private releases.
 *
 *   node dist/bench/experiments.js --datasets pima,metabric --epsilons 1,3,8,inf --seeds 5
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { SeededRng } from '../core/rng.js';
import type { Table } from '../data/table.js';
import { loadBundledDataset } from '../cli/bundled.js';
import { condense, type CondenseOptions } from '../condense/condense.js';
import { evaluateUtility } from '../condense/evaluation.js';
import { kMeansCoreset, randomSubset } from '../condense/baselines.js';
import { synthesise } from '../synthesis/mst/index.js';

export interface ExperimentCell {
  dataset: string;
  method: string;
  epsilon: number | null;
  evalLearner: string;
  values: number[];
  seconds: number[];
}

const DEFAULT_ROWS: Record<string, number> = { classification: 20, survival: 50 };

export function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

export function formatCell(values: number[]): string {
  if (!values.length) return '—';
  const { mean, sd } = meanSd(values);
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
}

/** One row per (dataset, evaluation learner), one column per method and ε: mean ± sd. */
export function markdownTable(cells: ExperimentCell[]): string {
  const label = (c: ExperimentCell) => (c.epsilon === null ? c.method : `${c.method} ε=${Number.isFinite(c.epsilon) ? c.epsilon : '∞'}`);
  const columns = [...new Set(cells.map(label))];
  const rows = [...new Set(cells.map((c) => `${c.dataset}\u0000${c.evalLearner}`))];
  const lines = [`| dataset | learner | ${columns.join(' | ')} |`, `|---|---|${columns.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const [dataset, learner] = row.split('\u0000');
    const values = columns.map((col) => {
      const c = cells.find((x) => x.dataset === dataset && x.evalLearner === learner && label(x) === col);
      return c ? formatCell(c.values) : '';
    });
    lines.push(`| ${dataset} | ${learner} | ${values.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('experiments')
    .option('--datasets <list>', 'datasets', 'pima,wdbc,physionet2012,support,metabric,rotterdam')
    .option('--epsilons <list>', 'ε values (inf = non-private condensation)', '1,3,8,inf')
    .option('--seeds <n>', 'seeds per cell', '5')
    .option('--rows <n>', 'synthetic rows (default 20 for classification, 50 for survival)')
    .option('--model <list>', 'condensation learner(s), comma-separated (default: cart / cox)')
    .option('--eval <list>', 'evaluation learners (default: the condensation learner)')
    .option('--set <json>', 'extra condense options as JSON, e.g. {"steps":200}', '{}')
    .option('--baselines <bool>', 'also run full/random/k-means/DP-Gaussian baselines', 'true')
    .option('--external', 'also evaluate rotterdam-condensed data on gbsg')
    .option('--out <file>', 'write all cells as JSON')
    .option('--markdown <file>', 'write the results as Markdown tables (one row per dataset and evaluation learner)');
  program.parse(argv, { from: 'user' });
  const o = program.opts();
  const datasets = String(o.datasets).split(',');
  const epsilons = String(o.epsilons).split(',').map((e) => (e === 'inf' ? Infinity : Number(e)));
  const seeds = Number(o.seeds);
  const extra = JSON.parse(o.set) as Partial<CondenseOptions>;
  const cells: ExperimentCell[] = [];
  const cell = (dataset: string, method: string, epsilon: number | null, evalLearner: string) => {
    let c = cells.find((x) => x.dataset === dataset && x.method === method && x.epsilon === epsilon && x.evalLearner === evalLearner);
    if (!c) cells.push((c = { dataset, method, epsilon, evalLearner, values: [], seconds: [] }));
    return c;
  };

  for (const name of datasets) {
    const data = await loadBundledDataset(name);
    const task = data.card.task;
    const condenseLearners = o.model ? String(o.model).split(',') : [task === 'classification' ? 'cart' : 'cox'];
    const evalLearners = o.eval ? String(o.eval).split(',') : condenseLearners;
    const rows = o.rows ? Number(o.rows) : DEFAULT_ROWS[task];
    const external = o.external && name === 'rotterdam' ? (await loadBundledDataset('gbsg')).table : undefined;
    const score = (table: Table, learner: string, seed: number) => evaluateUtility(table, data.test, learner, new SeededRng(seed)).value;
    for (let seed = 1; seed <= seeds; seed++) {
      const rng = new SeededRng(1000 * seed + 7);
      if (o.baselines === 'true') {
        const baselines: [string, () => Table][] = [
          ['full', () => data.train],
          ['random', () => randomSubset(data.train, rows, rng)],
          ['kmeans', () => kMeansCoreset(data.train, rows, rng)],
        ];
        for (const [method, make] of baselines) {
          const t0 = performance.now();
          const table = make();
          for (const learner of evalLearners) {
            cell(name, method, null, learner).values.push(score(table, learner, seed));
            if (external) cell('rotterdam→gbsg', method, null, learner).values.push(evaluateUtility(table, external, learner, new SeededRng(seed)).value);
          }
          cell(name, method, null, evalLearners[0]).seconds.push((performance.now() - t0) / 1000);
        }
        for (const epsilon of epsilons.filter(Number.isFinite)) {
          const t0 = performance.now();
          const { synthetic } = await condense({ train: data.train, rows, epsilon, steps: 0, seed, learners: condenseLearners });
          for (const learner of evalLearners) cell(name, 'dp-gaussian', epsilon, learner).values.push(score(synthetic, learner, seed));
          cell(name, 'dp-gaussian', epsilon, evalLearners[0]).seconds.push((performance.now() - t0) / 1000);
          const t1 = performance.now();
          const mst = (await synthesise({ train: data.train, rows: 'full', epsilon, seed })).synthetic;
          cell(name, 'mst-full', epsilon, evalLearners[0]).seconds.push((performance.now() - t1) / 1000);
          const mstSubset = randomSubset(mst, rows, rng);
          for (const learner of evalLearners) {
            cell(name, 'mst-full', epsilon, learner).values.push(score(mst, learner, seed));
            cell(name, 'mst', epsilon, learner).values.push(score(mstSubset, learner, seed));
          }
        }
      }
      for (const epsilon of epsilons) {
        const t0 = performance.now();
        const { synthetic } = await condense({ ...extra, train: data.train, rows, epsilon, seed, learners: condenseLearners });
        const secs = (performance.now() - t0) / 1000;
        for (const learner of evalLearners) {
          cell(name, 'dpcondense', epsilon, learner).values.push(score(synthetic, learner, seed));
          if (external) cell('rotterdam→gbsg', 'dpcondense', epsilon, learner).values.push(evaluateUtility(synthetic, external, learner, new SeededRng(seed)).value);
        }
        cell(name, 'dpcondense', epsilon, evalLearners[0]).seconds.push(secs);
        process.stderr.write(`${name} seed ${seed} ε=${epsilon}: ${cells.at(-1)?.values.at(-1)?.toFixed(3)} (${secs.toFixed(1)} s)\n`);
      }
    }
  }
  for (const c of cells) {
    const eps = c.epsilon === null ? '' : ` ε=${c.epsilon}`;
    console.log(`${c.dataset.padEnd(16)} ${(c.method + eps).padEnd(22)} ${c.evalLearner.padEnd(9)} ${formatCell(c.values)}  (${c.seconds.length ? meanSd(c.seconds).mean.toFixed(1) + ' s' : ''})`);
  }
  if (o.markdown) {
    mkdirSync(dirname(o.markdown), { recursive: true });
    writeFileSync(o.markdown, markdownTable(cells));
  }
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(cells, (k, v) => (v === Infinity ? 'Infinity' : v), 1));
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
