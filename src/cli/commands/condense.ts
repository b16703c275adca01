/**
 * `dpcondense condense`: condense a bundled dataset (its training split) or a user's CSV with its
 * card into a small synthetic table under (ε, δ)-DP, and write the CSV, its receipt and optionally
 * the optimisation trace. All outputs are written only after the run succeeded, atomically.
 *
 * What it prints in a private run is public or DP: no row count or other value read off the data
 * (the data's own checks, which do quote values, run before anything is released: see the README's
 * "Privacy guarantee"). Progress shows elapsed time and ETA on the terminal only; timing is outside
 * the privacy model and is never written to a file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { workerPoolEvaluators, workerScriptAvailable } from '../../node/parallel/directionPool.js';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { formatTableCsv } from '../../data/format.js';
import { condense, type CondenseOptions, type CondenseProgress } from '../../condense/condense.js';
import { REFERENCE_ROWS, parseSettings, type CondenseSettings } from '../../condense/settings.js';
import { addSettingFlags, settingsFromFlags } from '../settingsFlags.js';
import { loadCsvDataset, type LoadedDataset } from '../../node/bundled.js';
import { UsageError, formatNumber, type CliContext, type CommandModule, type TextWriter } from '../context.js';
import type { InvalidRecordPolicy } from '../../data/ingest.js';
import { planOutputs, type InputFile, type OutputRequest } from '../outputs.js';
import { checkBudgetCovers } from '../../condense/budget.js';
import { receiptFingerprint } from '../fingerprintKey.js';

import { compareOnHeldOut } from '../../condense/evaluation.js';
import { getLearnerSpec, learnerSpecs } from '../../models/registry.js';
import { asksForDraft, draftCardForFile, draftTask, featureTypeCounts } from '../draftCard.js';
import { checkLearners, defaultCardPath, invalidRecordOption, inputFiles, loadCardOption, loadDataOption, numberOption, readBoundsFile, seedOption, textFormatOf, trainingSource } from '../options.js';
import type { DatasetCard } from '../../data/card.js';
import { SeededRng } from '../../core/rng.js';
import { CryptoRng } from '../../privacy/random.js';
import { drawHoldout, splitDocument, type SplitDocument } from '../../data/split.js';
import { requireTrainingRows, splitTable, type Table } from '../../data/table.js';

/** The command's own flags (the settings' flags come from `settingsFlags.ts`). */
interface CondenseCliOptions {
  dataset?: string;
  data?: string;
  card?: string;
  out: string;
  receipt?: string;
  trace?: string;
  bounds?: string;
  clampToBounds?: boolean;
  onInvalid?: InvalidRecordPolicy;
  float32Features?: boolean;
  workers?: string;
  force?: boolean;
  quiet?: boolean;
  fingerprintKey?: string;
  acceptDraftCard?: boolean;
  holdout?: string;
  splitSeed?: string;
  split?: string;
  test?: string;
  label?: string;
  positive?: string;
  time?: string;
  event?: string;
  exclude?: string;
  cardOut?: string;
  report?: string;
  statistics?: string;
  delimiter?: string;
  decimal?: string;
}

/**
 * `condense --data FILE --label COL | --time COL --event COL`: draft the card as `card` does and
 * read the file with it. The custodian is told, every time, that the draft's types, category
 * levels and outcome coding were read off the data; the card carries `"draft": true` (the privacy
 * rules decide what a release from a draft card is).
 */
async function draftAndLoad(o: CondenseCliOptions, cardOutPath: string, stderr: TextWriter): Promise<{ data: LoadedDataset; label: string; card: DatasetCard }> {
  if (o.dataset) throw new UsageError('--label/--time/--event draft a card for --data; a bundled dataset has its own card');
  if (o.card) throw new UsageError('--card and --label/--time/--event exclude each other: give your reviewed card, or let condense draft one from the data');
  const { card, notes } = await draftCardForFile(o.data!, o, 'condense');
  const data = await loadCsvDataset(o.data!, card, { clampToBounds: o.clampToBounds, onInvalid: o.onInvalid, keepBytes: false, format: textFormatOf(o.data!, o) });
  stderr.write(
    `drafted a card for ${o.data} (${card.features.length} features: ${featureTypeCounts(card)}); it is written to ${cardOutPath} with the outputs.\n` +
      'The column types, the category levels and the outcome coding in it came from the data itself, not from public knowledge:\n' +
      'review it, fill in public bounds, and condense again with --card for a release whose card is public.\n' +
      notes.map((note) => `  - ${note}\n`).join(''),
  );
  return { data, label: o.data!, card };
}

/**
 * `--holdout F [--split-seed N]`: keep real rows back for `evaluate`. The split is drawn before
 * the condensation starts and only the training rows are passed on. Without a seed the split
 * comes from the secure generator, like the release's own randomness; either way its randomness
 * and indices go only into the custodian's split file (data/split.ts explains why the release
 * stays (ε, δ)-DP in the whole file).
 */
function holdOutRows(data: LoadedDataset, source: string, o: CondenseCliOptions): { train: Table; split?: SplitDocument } {
  if (o.holdout === undefined) {
    if (o.splitSeed !== undefined) throw new UsageError('--split-seed only applies with --holdout');
    return { train: data.train };
  }
  if (o.dataset) throw new UsageError('--holdout is for --data: a bundled dataset already has a fixed test split');
  if (o.test) throw new UsageError('give --holdout F or --test FILE.csv, not both');
  const fraction = numberOption('holdout', o.holdout, (v) => v > 0 && v < 1)!;
  const seed = seedOption(o.splitSeed, 'split-seed');
  const rng = seed === undefined ? new CryptoRng() : new SeededRng(seed);
  const test = drawHoldout(data.table, fraction, rng, source);
  const split = splitDocument(test, { source, sha256: data.sha256, rows: data.table.nRows, holdout: fraction, seed: seed ?? null });
  return { train: splitTable(data.table, test).train, split };
}

/**
 * `--workers N` (default: one per CPU): N threads fit, this one and N − 1 worker threads, switched
 * on only when a timed step shows it is faster. None with 1, or when the compiled worker script is
 * absent (running from the TypeScript sources).
 */
function parallelEvaluation(workers: string | undefined): ReturnType<typeof workerPoolEvaluators> | undefined {
  const n = numberOption('workers', workers, (v) => Number.isInteger(v) && v >= 1) ?? availableParallelism();
  return n > 1 && workerScriptAvailable() ? workerPoolEvaluators(n, 'auto') : undefined;
}

function progressReporter(stderr: TextWriter, quiet: boolean): { update(p: CondenseProgress): void; stop(): void } {
  if (quiet) return { update() {}, stop() {} };
  const tty = stderr === process.stderr && process.stderr.isTTY;
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: 'condensing [{bar}] step {value}/{total} | {elapsed}s elapsed, ETA {eta_formatted} | loss {loss} | ε spent {eps}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = { loss: formatNumber(p.smoothedLoss), eps: formatNumber(p.epsilonSpent), elapsed: (p.elapsedMs / 1000).toFixed(0) };
        if (!started) {
          bar.start(p.steps, 0, payload);
          started = true;
        }
        bar.update(p.step, payload);
      },
      stop: () => started && bar.stop(),
    };
  }
  // Not a terminal: a plain line every tenth of the run.
  let next = 0;
  return {
    update(p) {
      if (p.step >= next || p.step === p.steps) {
        stderr.write(`step ${p.step}/${p.steps}  elapsed ${(p.elapsedMs / 1000).toFixed(1)} s  ETA ${(p.etaMs / 1000).toFixed(1)} s  loss ${formatNumber(p.smoothedLoss)}  ε spent ${formatNumber(p.epsilonSpent)}\n`);
        next = p.step + Math.max(1, Math.round(p.steps / 10));
      }
    },
    stop() {},
  };
}

export const condenseCommand: CommandModule = {
  name: 'condense',
  register(program: Command, { io }: CliContext) {
    const command = program
      .command('condense')
      .description('condense a private table into a small synthetic table under differential privacy')
      .option('--dataset <name>', 'a bundled dataset (its training split is condensed)')
      .option('--data <file.csv>', 'your own CSV (all rows are condensed)')
      .option('--card <card.json>', 'the card of --data (default: next to the CSV)')
      .option('--out <file.csv>', 'synthetic CSV to write', 'synthetic.csv')
      .option('--receipt <file.json>', 'receipt to write (default: OUT with .receipt.json)')
      .option('--trace <file.csv>', 'also write the optimisation trace (private loss per step)')
      .option('--bounds <file.json>', 'public bounds for features whose card has none: {"name": [low, high]}')
      .option('--label <column>', 'no card yet: draft one from --data (as `card` does) with this binary outcome column')
      .option('--positive <value>', 'with --label: the positive class (default: inferred when unambiguous, e.g. 1 or yes)')
      .option('--time <column>', 'no card yet: draft one from --data with this follow-up time column (survival, with --event)')
      .option('--event <column>', 'with --time: the event column (0/1, 1/2 as in R\'s Surv, or TRUE/FALSE)')
      .option('--exclude <columns>', 'with a drafted card: columns to leave out (identifiers, free text)')
      .option('--card-out <file.json>', 'where to write the drafted card (default: OUT with .card.json)')
      .option('--report <file.html>', 'also write the release report (with --holdout/--test it includes the held-out utility: custodian only)')
      .option('--statistics <file.json>', 'also write the DP statistics the run released (for `dpcondense report`)')
      .option('--delimiter <c>', 'field separator of --data/--test: one character, or "tab" (default: tab for .tsv, else comma)')
      .option('--decimal <mark>', 'decimal mark of the numbers in --data/--test: "." (default) or ","')
      .option('--holdout <fraction>', 'hold out each row of --data with this probability for `evaluate` (never condensed)')
      .option('--split-seed <n>', 'reproducible holdout (default: drawn from the secure generator)')
      .option('--split <file.json>', 'where to save the held-out row indices (default: OUT with .split.json)')
      .option('--test <file.csv>', 'real test rows in a separate file, checked against the card now (for `evaluate --test`)')
      .addOption(invalidRecordOption())
      .option('--clamp-to-bounds', 'the same as --on-invalid clamp')
      .option('--fingerprint-key <file>', 'secret key for the receipt\'s input fingerprint of --data (default: fingerprint.key in the config directory, created on first use)')
      .option('--accept-draft-card', 'condense with a card still marked "draft": true; the receipt then says it is NOT a private release')
      .option('--workers <n>', 'threads for the fits, the main one and N − 1 workers (default: one per CPU; used only when a timed step shows they pay; results identical)')
      .option('--float32-features', 'store the features of --data as 32-bit floats: half the memory, values rounded to ~7 significant digits')
      .option('--force', 'overwrite existing output files')
      .option('--quiet', 'no progress output');
    addSettingFlags(command).action(async (o: CondenseCliOptions) => {
        const settings = settingsFromFlags(o as unknown as Record<string, unknown>);
        const drafting = asksForDraft(o);
        if (o.cardOut !== undefined && !drafting) throw new UsageError('--card-out only applies when condense drafts the card (--label, or --time and --event)');
        // The card (public) before the data: the default size, the learners and the budget are checked
        // against it. A card drafted on the fly is read off the data, so those checks wait until it
        // exists; its task is the one the draft flags ask for.
        const publicCard = drafting ? undefined : await loadCardOption(o);
        const task = publicCard?.task ?? draftTask(o);
        // Without --rows the table has the size the defaults were validated at for its task.
        // The settings are checked now, before any data is read.
        const { rows, epsilon, delta } = parseSettings({ ...settings, rows: settings.rows ?? REFERENCE_ROWS[task] } as CondenseSettings);
        const stem = o.out.replace(/\.csv$/i, '');
        const receiptPath = o.receipt ?? stem + '.receipt.json';
        const splitPath = o.holdout !== undefined ? (o.split ?? stem + '.split.json') : undefined;
        const cardOutPath = drafting ? (o.cardOut ?? stem + '.card.json') : undefined;
        // Every output is checked now, before any data is read or budget spent, and written at the end as one transaction.
        const requests: (OutputRequest & { what: string })[] = [
          { option: '--out', path: o.out, what: 'synthetic rows' },
          { option: o.receipt ? '--receipt' : '--receipt (default)', path: receiptPath, what: 'privacy receipt' },
        ];
        if (o.trace) requests.push({ option: '--trace', path: o.trace, what: 'optimisation trace' });
        if (splitPath) requests.push({ option: o.split ? '--split' : '--split (default)', path: splitPath, what: 'held-out rows, custodian only: never release' });
        if (cardOutPath) requests.push({ option: o.cardOut ? '--card-out' : '--card-out (default)', path: cardOutPath, what: 'card drafted from the data: review it' });
        if (o.statistics) requests.push({ option: '--statistics', path: o.statistics, what: 'released DP statistics' });
        const evaluateInReport = Boolean(o.report && (o.holdout !== undefined || o.test));
        if (o.report) requests.push({ option: '--report', path: o.report, what: evaluateInReport ? 'report, CUSTODIAN ONLY: it includes utility on real held-out rows' : 'report: public and DP content only' });
        const outputs = planOutputs(requests, { force: o.force, inputs: [...inputFiles(o), ...(o.test ? [{ option: '--test', path: o.test }] : [])] });
        const bounds = o.bounds ? await readBoundsFile(o.bounds) : undefined;
        if (publicCard) {
          checkLearners(settings.learners ?? [], publicCard.task);
          checkBudgetCovers(publicCard, { ...settings, rows, epsilon, bounds });
        }
        const { data, label } = cardOutPath ? await draftAndLoad(o, cardOutPath, io.stderr) : await loadDataOption(o, publicCard);
        if (!publicCard) {
          checkLearners(settings.learners ?? [], data.card.task);
          checkBudgetCovers(data.card, { ...settings, rows, epsilon, bounds });
        }
        // A card drafted on the fly was asked for explicitly: the run goes ahead, and its receipt says the
        // release is not private (the draft's levels came from the data). A draft card FILE must be reviewed first.
        const acceptDraftCard = Boolean(o.acceptDraftCard || cardOutPath);
        if (data.card.draft && !acceptDraftCard) {
          throw new UsageError(`the card of ${label} is a draft ("draft": true): review it (its category levels were read off the data), delete the flag, and run again; or pass --accept-draft-card for a release that is NOT private`);
        }
        const { train, split } = holdOutRows(data, label, o);
        requireTrainingRows(train, trainingSource(o));
        // A separate test file is read now with the card, so a bad file fails before a long run.
        const testFile = o.test ? await loadCsvDataset(o.test, data.card, { keepBytes: false, format: textFormatOf(o.test, o) }) : undefined;
        // The custodian's own row count, compared (never printed) so that a condensation is never larger than its input.
        if (rows > train.nRows) {
          const asked = settings.rows !== undefined ? `--rows ${rows}` : `--rows (default ${rows} for ${task} data)`;
          throw new UsageError(`${asked}: more synthetic rows than the input has records; condensation makes a smaller table: pass a smaller --rows`);
        }
        const options: CondenseOptions = {
          ...settings,
          train,
          rows,
          epsilon,
          bounds,
          inputFingerprint: await receiptFingerprint(o, data.sha256, io.stderr),
          acceptDraftCard,
          // The policy is recorded in the receipt; how many records it clamped or dropped is never printed.
          onInvalid: data.report.onInvalid,
        };
        // No row count: it is read off the private data (n̂, the DP count, is in the receipt).
        if (!o.quiet) io.stderr.write(`condensing ${label} → ${rows} synthetic rows, ε = ${epsilon}, δ = ${delta}\n`);
        const progress = progressReporter(io.stderr, Boolean(o.quiet));
        const pools = parallelEvaluation(o.workers);
        let result;
        try {
          result = await condense({ ...options, onProgress: (p) => progress.update(p) }, { evaluator: pools?.factory });
        } finally {
          progress.stop();
          await pools?.close();
        }
        const contents = [formatTableCsv(result.synthetic), JSON.stringify(result.receipt, null, 2) + '\n'];
        if (o.trace) {
          const lines = ['step,loss,smoothed_loss,smoothing', ...result.trace.map((t) => [t.step, t.loss, t.smoothedLoss, t.smoothing].join(','))];
          contents.push(lines.join('\n') + '\n');
        }
        if (split) contents.push(JSON.stringify(split) + '\n');
        if (cardOutPath) contents.push(JSON.stringify(data.card, null, 2) + '\n');
        if (o.statistics) contents.push(JSON.stringify(result.released, null, 2) + '\n');
        if (o.report) {
          // The held-out rows (split or test file) score the release for the custodian's eyes.
          const test = split ? splitTable(data.table, Int32Array.from(split.test)).test : testFile?.table;
          const evaluation = test ? compareOnHeldOut({ synthetic: result.synthetic, train, test, learners: learnerSpecs(data.card.task).map((l) => l.name) }) : undefined;
          // Loaded only when asked for: the chart renderer (Vega) adds about 20 MB to every run's memory.
          const { renderReport } = await import('../../report/render.js');
          contents.push(await renderReport({ card: data.card, receipt: result.receipt, synthetic: result.synthetic, released: result.released, trace: result.trace, evaluation }));
        }
        await outputs.commit(contents);
        // Caveats about the released rows (post-processing of the release, e.g. a Cox fit that diverges on it).
        for (const caveat of result.caveats) io.stderr.write(`warning: ${caveat}\n`);
        const r = result.receipt;
        io.stdout.write(
          requests.map((output) => `wrote ${output.path} (${output.what})\n`).join('') +
            `ε = ${typeof r.epsilon === 'number' ? formatNumber(r.epsilon) : r.epsilon} at δ = ${r.delta} (${r.accountant}); private release: ${r.private_release ? 'yes' : 'NO — ' + (r.reasons_not_private ?? []).join('; ')}\n`,
        );
      });
  },
};

