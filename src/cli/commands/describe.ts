/**
 * `dpcondense describe NAME|FILE.csv [--card CARD.json]`: the card, and per-feature summaries of
 * the data read with it. The summaries are exact statistics of the private rows, for the custodian
 * to check the card against the data locally; the output says so at the top.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { DatasetCard } from '../../data/card.js';
import { DEFAULT_MISSING_VALUES } from '../../data/values.js';
import { summariseFeatures, summariseOutcome } from '../../data/summary.js';
import { isBundledDataset, listBundledDatasets, loadBundledDataset, loadCsvDataset, type LoadedDataset } from '../../node/bundled.js';
import { formatNumber, formatTextTable, UsageError, type CliContext, type CommandModule } from '../context.js';
import { defaultCardPath, describeOutcome } from '../options.js';
import { invalidRecordOption } from '../options.js';
import type { InvalidRecordPolicy } from '../../data/ingest.js';

interface DescribeOptions {
  card?: string;
  clampToBounds?: boolean;
  onInvalid?: InvalidRecordPolicy;
}

export const PRIVATE_SUMMARY_WARNING =
  'LOCAL, NON-PRIVATE SUMMARY for the data custodian: computed from every row, not differentially private. Do not release or publish it.';


/** A bundled dataset name, or a CSV path with its card (given, or next to the CSV). */
export async function loadNamedOrFile(target: string, options: DescribeOptions): Promise<{ data: LoadedDataset; bundled: boolean; csv: string; cardPath?: string }> {
  const looksLikeFile = /[\\/.]/.test(target) || existsSync(target);
  if (!looksLikeFile) {
    if (!isBundledDataset(target)) {
      throw new UsageError(`"${target}" is neither a bundled dataset (${listBundledDatasets().join(', ')}) nor a CSV file`);
    }
    const data = await loadBundledDataset(target, { clampToBounds: options.clampToBounds, onInvalid: options.onInvalid });
    return { data, bundled: true, csv: `datasets/${target}.csv` };
  }
  const cardPath = options.card ?? defaultCardPath(target);
  if (!options.card && !existsSync(cardPath)) {
    throw new UsageError(`no card for ${target}: pass --card CARD.json, or draft one with: dpcondense card ${target} --label COL (or --time COL --event COL)`);
  }
  const data = await loadCsvDataset(target, cardPath, { clampToBounds: options.clampToBounds, onInvalid: options.onInvalid, keepBytes: false });
  return { data, bundled: false, csv: target, cardPath };
}

function cardLines(card: DatasetCard, csv: string, cardPath: string | undefined): string[] {
  const lines = [`Dataset   ${card.name}${card.title ? ` — ${card.title}` : ''}`];
  lines.push(`Task      ${card.task}; outcome ${describeOutcome(card)}`);
  lines.push(`Data      ${csv}${cardPath ? ` (card ${cardPath})` : ''}`);
  if (card.source) lines.push(`Source    ${card.source}`);
  if (card.license) lines.push(`Licence   ${card.license}`);
  if (card.note) lines.push(`Note      ${card.note}`);
  return lines;
}

export const describeCommand: CommandModule = {
  name: 'describe',
  register(program: Command, { io }: CliContext) {
    program
      .command('describe')
      .description('print a dataset card and per-feature summaries (local, non-private)')
      .argument('<dataset>', 'a bundled dataset name (see `dpcondense datasets`) or a CSV file')
      .option('--card <card.json>', 'the dataset card for a CSV file (default: the .json next to it)')
      .addOption(invalidRecordOption())
      .option('--clamp-to-bounds', 'the same as --on-invalid clamp')
      .action(async (target: string, options: DescribeOptions) => {
        const { data, bundled, csv, cardPath } = await loadNamedOrFile(target, options);
        const { card, table, report } = data;
        const out: string[] = [PRIVATE_SUMMARY_WARNING, ''];
        out.push(...cardLines(card, csv, cardPath));
        out.push(`Rows      ${table.nRows}${bundled ? ` (fixed split: ${data.train.nRows} train, ${data.test.nRows} test)` : ''}`);
        const outcome = summariseOutcome(table);
        if (outcome.task === 'classification') {
          const pct = (100 * outcome.positive) / table.nRows;
          out.push(`Outcome   positive ${outcome.positive} (${pct.toFixed(1)}%), negative ${outcome.negative}`);
        } else {
          const unit = card.task === 'survival' && card.time_unit ? ` ${card.time_unit}` : '';
          out.push(
            `Outcome   ${outcome.events} events, ${outcome.censored} censored; time min ${formatNumber(outcome.minTime)}, median ${formatNumber(outcome.medianTime)}, max ${formatNumber(outcome.maxTime)}${unit}`,
          );
        }
        if (report.ignoredColumns.length) out.push(`Ignored   columns not in the card: ${report.ignoredColumns.join(', ')}`);
        if (report.blankLines) out.push(`Skipped   ${report.blankLines} blank line(s)`);
        // Which spellings were taken as missing, so a code such as "-999" or "n/a" that was not is noticed.
        const tokens = Object.entries(report.missingTokens);
        out.push(
          `Missing   ${tokens.length ? tokens.map(([t, n]) => `${t === '' ? 'empty cell' : JSON.stringify(t)} ×${n}`).join(', ') : 'no missing cell'}` +
            ` (read as missing: empty, ${DEFAULT_MISSING_VALUES.filter((t) => t !== '').join(', ')})`,
        );
        for (const name of report.allMissing) out.push(`WARNING   "${name}" has no observed value: every cell is missing, so condensation can only fill it from its bounds`);
        const clamps = Object.entries(report.clamped);
        if (report.clampToBounds) {
          out.push(`Clamped   ${clamps.length ? clamps.map(([name, n]) => `${name}: ${n}`).join(', ') : 'nothing (all values inside the bounds)'}`);
        }
        if (report.onInvalid !== 'error') out.push(`Dropped   ${report.dropped} invalid record(s) (--on-invalid ${report.onInvalid})`);
        out.push('');
        const rows = summariseFeatures(table).map((s) => {
          const bounds = s.spec.type === 'numeric' || s.spec.type === 'integer' ? (s.spec.bounds ? `[${s.spec.bounds[0]}, ${s.spec.bounds[1]}]` : 'none') : '-';
          let summary: string;
          if (s.levelCounts) summary = s.levelCounts.map((l) => `${l.level}: ${l.count}`).join(', ');
          else summary = s.observed ? `min ${formatNumber(s.min!)}, max ${formatNumber(s.max!)}, mean ${formatNumber(s.mean!)}` : 'no observed value';
          return [s.spec.name, s.spec.type + (s.spec.unit ? ` (${s.spec.unit})` : ''), bounds, String(s.missing), summary];
        });
        out.push(formatTextTable(['feature', 'type', 'public bounds', 'missing', 'summary (non-private)'], rows).trimEnd());
        const unbounded = table.features.filter((f) => (f.spec.type === 'numeric' || f.spec.type === 'integer') && !f.spec.bounds).length;
        if (unbounded) {
          out.push('', `${unbounded} numeric feature(s) have no public bounds: condensation must estimate them privately (charged to the budget) or take them from the user.`);
        }
        io.stdout.write(out.join('\n') + '\n');
      });
  },
};
