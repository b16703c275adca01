/**
 * MST's quality check against the anchor numbers (DESIGN.md, "Baselines"): for each dataset and ε,
 * MST at full size (N̂ rows) and subsampled to m rows (the same class-balanced random subset as the
 * random-real baseline), scored by learners trained on it (test AUROC / Harrell's C), over several
 * seeds (mean ± sd). Optionally writes every released table as CSV for an independent check.
 *
 *   node dist/bench/mstQuality.js --datasets pima --epsilons 3,8 --seeds 5 --rows 20
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Command } from 'commander';
import { SeededRng } from '../core/rng.js';
import { formatTableCsv } from '../data/format.js';
import { loadBundledDataset } from '../node/bundled.js';
import { evaluateUtility } from '../condense/evaluation.js';
import { randomSubset } from '../condense/baselines.js';
import { synthesise } from '../synthesis/mst/index.js';
import { formatCell } from './experiments.js';

/** The anchor's learners: logistic, CART depth 5, random forest of 200 trees (survival: Cox, RSF). */
export const ANCHOR_LEARNERS: Record<'classification' | 'survival', [string, Record<string, unknown>][]> = {
  classification: [['logistic', {}], ['cart', { maxDepth: 5 }], ['rf', { nTrees: 200 }]],
  survival: [['cox', {}], ['rsf', {}]],
};

async function main(argv: string[]): Promise<void> {
  const o = new Command()
    .option('--datasets <list>', 'datasets', 'pima')
    .option('--epsilons <list>', 'ε values', '3,8')
    .option('--seeds <n>', 'seeds', '5')
    .option('--rows <m>', 'subsample size', '20')
    .option('--csv-dir <dir>', 'also write every released table as CSV here')
    .parse(argv, { from: 'user' })
    .opts();
  for (const name of String(o.datasets).split(',')) {
    const data = await loadBundledDataset(name);
    const learners = ANCHOR_LEARNERS[data.card.task];
    for (const epsilon of String(o.epsilons).split(',').map(Number)) {
      const scores: Record<string, number[]> = {};
      const push = (key: string, v: number) => (scores[key] ??= []).push(v);
      const seconds: number[] = [];
      for (let seed = 1; seed <= Number(o.seeds); seed++) {
        const t0 = performance.now();
        const { synthetic } = await synthesise({ train: data.train, rows: 'full', epsilon, seed });
        seconds.push((performance.now() - t0) / 1000);
        const small = randomSubset(synthetic, Number(o.rows), new SeededRng(1000 * seed + 7));
        if (o.csvDir) {
          mkdirSync(o.csvDir, { recursive: true });
          writeFileSync(join(o.csvDir, `${name}-mst-eps${epsilon}-seed${seed}-full.csv`), formatTableCsv(synthetic));
          writeFileSync(join(o.csvDir, `${name}-mst-eps${epsilon}-seed${seed}-m${o.rows}.csv`), formatTableCsv(small));
        }
        for (const [learner, params] of learners) {
          push(`full ${learner}`, evaluateUtility(synthetic, data.test, learner, new SeededRng(seed), params).value);
          push(`m=${o.rows} ${learner}`, evaluateUtility(small, data.test, learner, new SeededRng(seed), params).value);
        }
        process.stderr.write(`${name} ε=${epsilon} seed ${seed}: ${synthetic.nRows} rows, ${seconds.at(-1)!.toFixed(1)} s\n`);
      }
      for (const [key, values] of Object.entries(scores)) console.log(`${name}\tε=${epsilon}\t${key}\t${formatCell(values)}\t[${values.map((v) => v.toFixed(3)).join(', ')}]`);
      console.log(`${name}\tε=${epsilon}\tseconds per MST run\t${formatCell(seconds)}`);
    }
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
