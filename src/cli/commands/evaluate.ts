/**
 * `dpcondense evaluate --synthetic S.csv (--dataset NAME | --data FILE --card C.json (--split S.json | --test T.csv))`:
 * train every chosen learner on the synthetic table, on all real training rows and on random real
 * subsets of the same size, and score all three on the same real test rows with bootstrap
 * intervals (condense/evaluation.ts). The output reads real data: it is for the custodian only, it
 * says so, and it is only ever printed, never written next to the release.
 */
import type { Command } from 'commander';
import { compareOnHeldOut, type HeldOutComparison, type Interval } from '../../condense/evaluation.js';
import type { DatasetCard } from '../../data/card.js';
import { splitTable, weightColumnName, type Table } from '../../data/table.js';
import { learnerSpecs } from '../../models/registry.js';
import { DataError } from '../../data/errors.js';
import { isBundledDataset, listBundledDatasets, loadBundledDataset, loadCsvDataset, readSplitFile } from '../../node/bundled.js';
import { UsageError, formatTextTable, type CliContext, type CommandModule } from '../context.js';
import { checkLearners, numberOption, resolveCardPath, seedOption, textFormatOf } from '../options.js';

interface EvaluateCliOptions {
  synthetic: string;
  dataset?: string;
  data?: string;
  card?: string;
  split?: string;
  test?: string;
  models: string;
  seed: string;
  bootstrap: string;
  json?: boolean;
  delimiter?: string;
  decimal?: string;
}

export const CUSTODIAN_ONLY_NOTICE =
  'CUSTODIAN ONLY: this evaluation reads real patients (the training and held-out rows). It is not differentially private and is never part of the release; do not publish it.';

/** The real training and test tables the evaluation scores against. */
async function loadRealSplit(o: EvaluateCliOptions): Promise<{ card: DatasetCard; train: Table; test: Table; name: string }> {
  if (Boolean(o.dataset) === Boolean(o.data)) throw new UsageError('evaluate: give exactly one of --dataset NAME or --data FILE.csv (with --split SPLIT.json or --test TEST.csv)');
  if (o.dataset) {
    if (!isBundledDataset(o.dataset)) throw new UsageError(`unknown dataset "${o.dataset}"; bundled: ${listBundledDatasets().join(', ')}`);
    if (o.split || o.test) throw new UsageError('evaluate: a bundled dataset has its own fixed test split; --split and --test are for --data');
    const real = await loadBundledDataset(o.dataset);
    if (real.train.nRows === 0) {
      // The "full data" and "random subset" baselines train on real training rows: there are none.
      throw new DataError(
        `no training rows: the split marks every row as test data (${o.dataset} is an external validation cohort); to score a release on it, ` +
          `name it as the test file beside the training data: evaluate --synthetic S.csv --data TRAIN.csv --card TRAIN.json --test ${o.dataset}.csv`,
        { file: `${o.dataset}.split.json` },
      );
    }
    return { card: real.card, train: real.train, test: real.test, name: o.dataset };
  }
  if (Boolean(o.split) === Boolean(o.test)) {
    throw new UsageError('evaluate --data: give --split SPLIT.json (written by `condense --holdout`) or --test TEST.csv (real rows the condensation never saw)');
  }
  const cardPath = resolveCardPath(o.data!, o.card, 'evaluate');
  const real = await loadCsvDataset(o.data!, cardPath, { keepBytes: false, format: textFormatOf(o.data!, o) });
  if (o.split) {
    const testIndices = await readSplitFile(o.split, o.split, real.table.nRows, { sha256: real.sha256, file: o.data });
    const { train, test } = splitTable(real.table, testIndices);
    return { card: real.card, train, test, name: o.data! };
  }
  const test = await loadCsvDataset(o.test!, real.card, { keepBytes: false, format: textFormatOf(o.test!, o) });
  return { card: real.card, train: real.table, test: test.table, name: o.data! };
}

export const evaluateCommand: CommandModule = {
  name: 'evaluate',
  register(program: Command, { io }: CliContext) {
    program
      .command('evaluate')
      .description('score learners trained on a synthetic table, on all real training rows and on a random real subset, on real test rows (custodian only)')
      .requiredOption('--synthetic <file.csv>', 'synthetic table (same columns as the data; a weight column, if present, gives the learners row weights)')
      .option('--dataset <name>', 'bundled dataset (its fixed test split scores the models)')
      .option('--data <file.csv>', 'your own data file, the one given to condense')
      .option('--card <card.json>', 'the card of --data (default: next to the data file)')
      .option('--split <split.json>', 'held-out rows saved by `condense --holdout`')
      .option('--test <file.csv>', 'real test rows in a separate file (then every row of --data is training data)')
      .option('--delimiter <c>', 'field separator of --data/--test: one character, or "tab" (default: tab for .tsv, else comma)')
      .option('--decimal <mark>', 'decimal mark of the numbers in --data/--test: "." (default) or ","')
      .option('--models <list>', 'learners, comma-separated, or "all" for every learner of the task', 'all')
      .option('--seed <n>', 'seed for randomised learners, the random subsets and the bootstrap', '1')
      .option('--bootstrap <B>', 'bootstrap resamples of the test patients for the intervals', '500')
      .option('--json', 'print JSON instead of a table')
      .action(async (o: EvaluateCliOptions) => {
        const seed = seedOption(o.seed)!;
        const replicates = numberOption('bootstrap', o.bootstrap, (v) => Number.isInteger(v) && v >= 10)!;
        const real = await loadRealSplit(o);
        const task = real.card.task;
        const names = o.models === 'all' ? learnerSpecs(task).map((s) => s.name) : o.models.split(',').map((s) => s.trim());
        checkLearners(names, task);
        // A release with learned row weights carries them in its weight column: the learners train with them.
        const synthetic = await loadCsvDataset(o.synthetic, real.card, { keepBytes: false, weightColumn: weightColumnName(real.card) });
        const comparison = compareOnHeldOut({ synthetic: synthetic.table, train: real.train, test: real.test, learners: names, seed, replicates });
        if (o.json) {
          io.stdout.write(JSON.stringify({ notice: CUSTODIAN_ONLY_NOTICE, data: real.name, synthetic: o.synthetic, ...comparison }, null, 2) + '\n');
          return;
        }
        io.stdout.write(formatComparison(comparison, real.name));
      });
  },
};

/** The three-way comparison as text: notice, what was compared, one row per learner. */
export function formatComparison(c: HeldOutComparison, name: string): string {
  const level = Math.round(c.bootstrap.level * 100);
  const head =
    `${CUSTODIAN_ONLY_NOTICE}\n` +
    `${name}: each learner trained on ${c.syntheticRows} synthetic rows, on all ${c.trainRows} real training rows, and on random real subsets of ${c.subsetRows} rows (mean of ${c.subsets}); ` +
    `scored on ${c.testRows} real test rows. ${c.metric === 'auroc' ? 'AUROC' : "Harrell's C"} with ${level}% bootstrap intervals over test patients (${c.bootstrap.replicates} resamples).\n`;
  const table = formatTextTable(
    ['learner', 'metric', 'synthetic', 'full data', 'random subset', 'synthetic − full'],
    c.rows.map((r) => [r.learner, r.metric, formatInterval(r.synthetic), formatInterval(r.full), formatInterval(r.subset), formatInterval(r.gap, true)]),
  );
  return head + table;
}

export function formatInterval(i: Interval, signed = false): string {
  const f = (v: number) => (Number.isFinite(v) ? (signed && v >= 0 ? '+' : '') + v.toFixed(3) : 'n/a');
  return `${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]`;
}
