/**
 * Helpers the commands share (option parsing, card paths, the data a run reads, outcome
 * descriptions), so that no command imports another.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetCard } from '../data/card.js';
import type { TextFormat } from '../data/values.js';
import { getLearnerSpec } from '../models/registry.js';
import { DATASETS_DIR, isBundledDataset, listBundledDatasets, loadBundledCard, loadBundledDataset, loadCsvDataset, type LoadedDataset } from '../node/bundled.js';
import { readCardFile } from '../node/files.js';
import { UsageError } from './context.js';
import { Option } from 'commander';
import { INVALID_RECORD_POLICIES, type InvalidRecordPolicy } from '../data/ingest.js';
import type { InputFile } from './outputs.js';

/** Parse a number option, naming the option on failure. */
export function numberOption(name: string, text: string | undefined, check: (v: number) => boolean = Number.isFinite): number | undefined {
  if (text === undefined) return undefined;
  const v = text === 'inf' || text === 'Infinity' ? Infinity : Number(text);
  if (text.trim() === '' || Number.isNaN(v) || !check(v)) throw new UsageError(`--${name}: invalid value "${text}"`);
  return v;
}

/** A seed: any integer from 0 to 2^53, each giving its own stream (read exactly, never rounded). */
export function seedOption(text: string | undefined, name = 'seed'): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || BigInt(text.trim()) > 2n ** 53n) throw new UsageError(`--${name}: "${text}" is not an integer from 0 to 2^53 (${2 ** 53})`);
  return Number(text.trim());
}

/** `x.csv` → `x.json` (the bundled convention: the card sits next to its CSV). */
export function defaultCardPath(csvPath: string): string {
  return csvPath.replace(/\.(csv|parquet|parq)$/i, '') + '.json';
}

/** The card of a data file: the one given, else `FILE.json` next to it; a usage error naming both ways out when there is none. */
export function resolveCardPath(dataPath: string, card: string | undefined, command: string): string {
  const cardPath = card ?? defaultCardPath(dataPath);
  if (!card && !existsSync(cardPath)) {
    const draft =
      command === 'condense'
        ? 'or let condense draft one from the data: --label COL [--positive V] (classification) or --time COL --event COL (survival)'
        : `or draft one with: dpcondense card ${dataPath} --label COL (or --time COL --event COL)`;
    throw new UsageError(`${command}: no card for ${dataPath} (looked for ${cardPath}): pass --card CARD.json, ${draft}`);
  }
  return cardPath;
}

/**
 * The text format of a data file from `--delimiter` / `--decimal`: a delimiter given as one
 * character or as "tab"; by default a tab for `.tsv`/`.tab` files and a comma otherwise.
 */
export function textFormatOf(path: string, o: { delimiter?: string; decimal?: string }): TextFormat {
  let delimiter = /\.(tsv|tab)$/i.test(path) ? '\t' : ',';
  if (o.delimiter !== undefined) {
    delimiter = o.delimiter === 'tab' || o.delimiter === '\\t' ? '\t' : o.delimiter;
    if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) throw new UsageError(`--delimiter: "${o.delimiter}" is not one character (use "tab" for a tab)`);
  }
  if (o.decimal !== undefined && o.decimal !== '.' && o.decimal !== ',') throw new UsageError(`--decimal: "${o.decimal}" is not "." or ","`);
  const decimal = (o.decimal ?? '.') as '.' | ',';
  if (decimal === ',' && delimiter === ',') throw new UsageError('--decimal ",": the fields are comma-separated too; pass --delimiter ";" (or tab) for such a file');
  return { delimiter, decimal };
}

/** The card of --dataset or of --data (given by --card, or next to the CSV): public, read before any record. */
export async function loadCardOption(o: { dataset?: string; data?: string; card?: string }): Promise<DatasetCard> {
  if (Boolean(o.dataset) === Boolean(o.data)) throw new UsageError('give exactly one of --dataset NAME or --data FILE.csv');
  if (o.dataset) {
    if (!isBundledDataset(o.dataset)) throw new UsageError(`unknown dataset "${o.dataset}"; bundled: ${listBundledDatasets().join(', ')}`);
    return loadBundledCard(o.dataset);
  }
  return readCardFile(resolveCardPath(o.data!, o.card, 'condense'));
}

/** A bundled dataset (training split) or a CSV with its card (all rows). */
export async function loadDataOption(
  o: { dataset?: string; data?: string; card?: string; clampToBounds?: boolean; onInvalid?: InvalidRecordPolicy; float32Features?: boolean; delimiter?: string; decimal?: string },
  card?: DatasetCard,
): Promise<{ data: LoadedDataset; label: string }> {
  card ??= await loadCardOption(o);
  if (o.dataset) return { data: await loadBundledDataset(o.dataset, { clampToBounds: o.clampToBounds, onInvalid: o.onInvalid }), label: `${o.dataset} (training split)` };
  const featureStorage = o.float32Features ? 'float32' : 'float64';
  return { data: await loadCsvDataset(o.data!, card, { clampToBounds: o.clampToBounds, onInvalid: o.onInvalid, keepBytes: false, featureStorage, format: textFormatOf(o.data!, o) }), label: o.data! };
}

/** Where a run's training rows are chosen: the bundled split file, or the data file. */
export function trainingSource(o: { dataset?: string; data?: string }): string {
  return o.dataset ? `${o.dataset}.split.json` : o.data!;
}

/** The files a run reads (data, card, bounds): no output may replace one of them. */
export function inputFiles(o: { dataset?: string; data?: string; card?: string; bounds?: string }): InputFile[] {
  const inputs: InputFile[] = [];
  if (o.dataset && isBundledDataset(o.dataset)) {
    for (const ext of ['csv', 'json', 'split.json']) inputs.push({ option: '--dataset', path: join(DATASETS_DIR, `${o.dataset}.${ext}`) });
  }
  if (o.data) inputs.push({ option: '--data', path: o.data }, { option: '--card', path: o.card ?? defaultCardPath(o.data) });
  else if (o.card) inputs.push({ option: '--card', path: o.card });
  if (o.bounds) inputs.push({ option: '--bounds', path: o.bounds });
  return inputs;
}

/** `--bounds FILE.json`: public bounds `{"name": [low, high]}` for features whose card has none. */
export async function readBoundsFile(path: string): Promise<Record<string, [number, number]>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--bounds ${path}: ${(error as Error).message}`);
  }
  const out: Record<string, [number, number]> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(value) || value.length !== 2 || !value.every(Number.isFinite) || !(value[0] < value[1])) {
      throw new UsageError(`--bounds ${path}: "${name}" must be [low, high] with low < high`);
    }
    out[name] = [value[0], value[1]];
  }
  return out;
}

/** Learner names exist and suit the task (exit 2 otherwise, like an unknown dataset). */
export function checkLearners(learners: readonly (string | { name: string })[], task: 'classification' | 'survival'): void {
  for (const learner of learners) {
    const name = typeof learner === 'string' ? learner : learner.name;
    const spec = getLearnerSpec(name);
    if (spec.task !== task) throw new UsageError(`learner "${name}" is for ${spec.task} data, but the dataset is ${task}`);
  }
}

/** The outcome of a card in one line (label = positive value, or time and event columns). */
export function describeOutcome(card: DatasetCard): string {
  if (card.task === 'classification') return `${card.label} = ${JSON.stringify(card.positive)}`;
  return `${card.time}${card.time_unit ? ` (${card.time_unit})` : ''}, ${card.event}`;
}

/** `--on-invalid error|clamp|drop`: what an invalid input record does (data/ingest.ts). */
export function invalidRecordOption(): Option {
  return new Option(
    '--on-invalid <policy>',
    'an input record with a value outside the card bounds or an invalid cell: error (stop, default), clamp (clamp to the bounds; drop a record that cannot be clamped) or drop (drop the record); record by record, never reported in a release',
  ).choices(INVALID_RECORD_POLICIES);
}
