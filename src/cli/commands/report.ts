/**
 * `dpcondense report --synthetic S.csv --receipt R.json (--card C.json | --dataset NAME) --out report.html`:
 * the release report (src/report/render.ts) from a run's files. Shareable unless a custodian-only
 * input is given: `--evaluation` (the JSON of `evaluate --json`) or `--include-real-data FILE.csv`
 * (histograms of real rows, off by default); the page then says it is for the custodian only.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ReleasedStatistics } from '../../condense/condense.js';
import type { HeldOutComparison } from '../../condense/evaluation.js';
import type { DatasetCard } from '../../data/card.js';
import { DataError } from '../../data/errors.js';
import type { PrivacyReceipt } from '../../privacy/receipt.js';
import { isBundledDataset, listBundledDatasets, loadBundledCard, loadCsvDataset } from '../../node/bundled.js';
import { UsageError, type CliContext, type CommandModule } from '../context.js';
import { asDataError, readCardFile } from '../../node/files.js';
import { planOutputs } from '../outputs.js';

interface ReportCliOptions {
  synthetic: string;
  receipt: string;
  card?: string;
  dataset?: string;
  statistics?: string;
  trace?: string;
  evaluation?: string;
  includeRealData?: string;
  out: string;
  force?: boolean;
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw asDataError(error, path);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new DataError(`not valid JSON (${(error as Error).message})`, { file: path });
  }
}

/** The trace CSV `condense --trace` writes: step, loss, smoothed_loss, ... */
export function parseTraceCsv(text: string, source: string): { step: number; loss: number; smoothedLoss: number }[] {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const at = (name: string) => {
    const k = header.indexOf(name);
    if (k < 0) throw new DataError(`header: no column named "${name}"`, { file: source, column: name });
    return k;
  };
  const [step, loss, smoothed] = [at('step'), at('loss'), at('smoothed_loss')];
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',').map(Number);
    if (!Number.isInteger(cells[step])) throw new DataError(`step "${line.split(',')[step]}" is not an integer`, { file: source, row: i + 1, column: 'step' });
    return { step: cells[step], loss: cells[loss], smoothedLoss: cells[smoothed] };
  });
}

export const reportCommand: CommandModule = {
  name: 'report',
  register(program: Command, { io }: CliContext) {
    program
      .command('report')
      .description('write the release report: one self-contained HTML page (privacy in plain language, distributions, survival curves, trace)')
      .requiredOption('--synthetic <file.csv>', 'the synthetic table')
      .requiredOption('--receipt <file.json>', 'its privacy receipt')
      .option('--card <card.json>', 'the card of the data')
      .option('--dataset <name>', 'or: the bundled dataset it was condensed from')
      .option('--statistics <file.json>', 'the DP statistics the run released (condense --statistics)')
      .option('--trace <file.csv>', 'the optimisation trace (condense --trace)')
      .option('--evaluation <file.json>', 'CUSTODIAN ONLY: held-out utility from `evaluate --json`')
      .option('--include-real-data <file.csv>', 'CUSTODIAN ONLY: add histograms of these real rows (off by default; never for a shared report)')
      .requiredOption('--out <report.html>', 'the HTML file to write')
      .option('--force', 'overwrite an existing report')
      .action(async (o: ReportCliOptions) => {
        if (Boolean(o.card) === Boolean(o.dataset)) throw new UsageError('report: give exactly one of --card CARD.json or --dataset NAME');
        if (o.dataset && !isBundledDataset(o.dataset)) throw new UsageError(`unknown dataset "${o.dataset}"; bundled: ${listBundledDatasets().join(', ')}`);
        const inputs = [o.synthetic, o.receipt, o.card, o.statistics, o.trace, o.evaluation, o.includeRealData]
          .filter((p): p is string => p !== undefined)
          .map((path) => ({ option: 'input', path }));
        const outputs = planOutputs([{ option: '--out', path: o.out }], { force: o.force, inputs });
        const card: DatasetCard = o.card ? await readCardFile(o.card) : await loadBundledCard(o.dataset!);
        const synthetic = await loadCsvDataset(o.synthetic, card, { keepBytes: false });
        let trace;
        if (o.trace) {
          let text: string;
          try {
            text = await readFile(o.trace, 'utf8');
          } catch (error) {
            throw asDataError(error, o.trace);
          }
          trace = parseTraceCsv(text, o.trace);
        }
        // Imported here, not at the top: main.ts loads every command, and the chart renderer (Vega)
        // would add about 20 MB to the memory of every other command's run.
        const { renderReport } = await import('../../report/render.js');
        const html = await renderReport({
          card,
          receipt: await readJson<PrivacyReceipt>(o.receipt),
          synthetic: synthetic.table,
          released: o.statistics ? await readJson<ReleasedStatistics>(o.statistics) : undefined,
          trace,
          evaluation: o.evaluation ? await readJson<HeldOutComparison>(o.evaluation) : undefined,
          custodianReal: o.includeRealData ? (await loadCsvDataset(o.includeRealData, card, { keepBytes: false })).table : undefined,
        });
        await outputs.commit([html]);
        const custodian = o.evaluation || o.includeRealData;
        io.stdout.write(`wrote ${o.out}${custodian ? ' (CUSTODIAN ONLY: it contains sections computed from real records)' : ' (public and DP content only: may go with the release)'}\n`);
      });
  },
};
