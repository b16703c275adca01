/**
 * `dpcondense evaluate --synthetic synth.csv --dataset NAME --models all`: train every chosen learner
 * on the synthetic table and on the full real training split, and report both on the real test split.
 */
import type { Command } from 'commander';
import { SeededRng } from '../../core/rng.js';
import { evaluateUtility } from '../../condense/evaluation.js';
import { learnerSpecs } from '../../models/registry.js';
import { isBundledDataset, listBundledDatasets, loadBundledDataset, loadCsvDataset } from '../bundled.js';
import { UsageError, formatNumber, formatTextTable, type CliContext, type CommandModule } from '../context.js';
import { checkLearners, seedOption } from './condense.js';

interface EvaluateCliOptions {
  synthetic: string;
  dataset: string;
  models: string;
  seed: string;
  json?: boolean;
}

export const evaluateCommand: CommandModule = {
  name: 'evaluate',
  register(program: Command, { io }: CliContext) {
    program
      .command('evaluate')
      .description('train learners on a synthetic table and score them on the real test split, beside full-data training')
      .requiredOption('--synthetic <file.csv>', 'synthetic table (same columns as the dataset)')
      .requiredOption('--dataset <name>', 'bundled dataset whose test split scores the models')
      .option('--models <list>', 'learners, comma-separated, or "all" for every learner of the task', 'all')
      .option('--seed <n>', 'seed for randomised learners', '1')
      .option('--json', 'print JSON instead of a table')
      .action(async (o: EvaluateCliOptions) => {
        if (!isBundledDataset(o.dataset)) throw new UsageError(`unknown dataset "${o.dataset}"; bundled: ${listBundledDatasets().join(', ')}`);
        const seed = seedOption(o.seed)!;
        const real = await loadBundledDataset(o.dataset);
        const task = real.card.task;
        const names = o.models === 'all' ? learnerSpecs(task).map((s) => s.name) : o.models.split(',').map((s) => s.trim());
        checkLearners(names, task);
        const synthetic = await loadCsvDataset(o.synthetic, real.card, { keepBytes: false });
        const rows = names.map((name) => {
          const onSynthetic = evaluateUtility(synthetic.table, real.test, name, new SeededRng(seed));
          const onFull = evaluateUtility(real.train, real.test, name, new SeededRng(seed));
          return { learner: name, metric: onSynthetic.metric, synthetic: onSynthetic.value, full: onFull.value, warnings: onSynthetic.warnings };
        });
        if (o.json) {
          io.stdout.write(JSON.stringify({ dataset: o.dataset, synthetic: o.synthetic, syntheticRows: synthetic.table.nRows, results: rows }, null, 2) + '\n');
          return;
        }
        io.stdout.write(`${o.dataset}: ${synthetic.table.nRows} synthetic rows vs ${real.train.nRows} real training rows, scored on ${real.test.nRows} real test rows\n`);
        io.stdout.write(
          formatTextTable(
            ['learner', 'metric', 'synthetic', 'full data', 'gap'],
            rows.map((r) => [r.learner, r.metric, formatNumber(round3(r.synthetic)), formatNumber(round3(r.full)), formatNumber(round3(r.synthetic - r.full))]),
          ),
        );
      });
  },
};

const round3 = (v: number) => Math.round(v * 1000) / 1000;
