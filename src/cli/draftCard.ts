/**
 * Drafting a dataset card from a CSV (rules in data/inferCard.ts), shared by `card` and
 * `condense --label/--time` so that both draft the same card.
 */
import { basename } from 'node:path';
import type { DatasetCard } from '../data/card.js';
import { CardInferrer, type CardDraft } from '../data/inferCard.js';
import { TableBuilder } from '../data/ingest.js';
import type { Table } from '../data/table.js';
import type { Task } from '../data/target.js';
import { isParquetFile, streamRecordsFile } from '../node/files.js';
import { UsageError } from './context.js';
import { textFormatOf } from './options.js';

/** The outcome options of a draft: classification (`--label`) or survival (`--time`, `--event`). */
export interface DraftOutcomeOptions {
  label?: string;
  positive?: string;
  time?: string;
  event?: string;
  name?: string;
  exclude?: string;
  maxLevels?: string;
  delimiter?: string;
  decimal?: string;
}

/** True when any outcome option asks for a draft. */
export function asksForDraft(o: DraftOutcomeOptions): boolean {
  return o.label !== undefined || o.time !== undefined || o.event !== undefined;
}

/** The task the outcome options ask for: survival with --time or --event, else classification. */
export function draftTask(o: DraftOutcomeOptions): Task {
  return o.time !== undefined || o.event !== undefined ? 'survival' : 'classification';
}

/**
 * Draft a card for a CSV file by the rules of data/inferCard.ts, then read the file with the draft
 * (every ingestion rule applies), so a draft is only returned if it loads its own data. Shared by
 * `card` and `condense --label/--time`, so both draft the same card.
 */
export async function draftCardForFile(csvPath: string, o: DraftOutcomeOptions, command: string): Promise<CardDraft & { table: Table }> {
  const survival = draftTask(o) === 'survival';
  if ((o.label !== undefined) === survival) throw new UsageError(`${command}: give --label COL (classification) or --time COL --event COL (survival)`);
  if (survival && (o.time === undefined || o.event === undefined)) throw new UsageError(`${command}: survival needs both --time and --event`);
  if (o.positive !== undefined && survival) throw new UsageError(`${command}: --positive only applies with --label`);
  const maxLevels = Number(o.maxLevels ?? '20');
  if (!Number.isInteger(maxLevels) || maxLevels < 2) throw new UsageError(`${command}: --max-levels must be an integer >= 2, got ${o.maxLevels}`);
  // Parquet holds typed numbers: the text options (--delimiter, --decimal) are for CSV-like files.
  const format = (await isParquetFile(csvPath)) ? {} : textFormatOf(csvPath, o);
  const inferrer = new CardInferrer({
    format,
    name: o.name ?? basename(csvPath).replace(/\.[^.]*$/, ''),
    source: csvPath,
    label: o.label,
    positive: o.positive,
    time: o.time,
    event: o.event,
    exclude: o.exclude ? o.exclude.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    maxLevels,
  });
  await streamRecordsFile(csvPath, (fields, _i, line) => inferrer.addRecord(fields, line), { delimiter: format.delimiter });
  const draft = inferrer.finish();
  // Second pass: the draft must read its own file under every ingestion rule.
  const builder = new TableBuilder(draft.card, { source: csvPath, format });
  await streamRecordsFile(csvPath, (fields, _i, line) => builder.addRecord(fields, line), { delimiter: format.delimiter });
  const { table } = builder.finish();
  return { ...draft, table };
}

/** "3 numeric, 1 categorical": the feature types of a card, for messages. */
export function featureTypeCounts(card: DatasetCard): string {
  return ['numeric', 'integer', 'binary', 'categorical']
    .map((t) => [t, card.features.filter((f) => f.type === t).length] as const)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
}
