/**
 * Helpers the commands share (option parsing, card paths, outcome descriptions), so that no command
 * imports another.
 */
import { existsSync } from 'node:fs';
import type { DatasetCard } from '../data/card.js';
import { UsageError } from './context.js';

/** Parse a number option, naming the option on failure. */
export function numberOption(name: string, text: string | undefined, check: (v: number) => boolean = Number.isFinite): number | undefined {
  if (text === undefined) return undefined;
  const v = text === 'inf' || text === 'Infinity' ? Infinity : Number(text);
  if (text.trim() === '' || Number.isNaN(v) || !check(v)) throw new UsageError(`--${name}: invalid value "${text}"`);
  return v;
}

/** `x.csv` → `x.json` (the bundled convention: the card sits next to its CSV). */
export function defaultCardPath(csvPath: string): string {
  return csvPath.replace(/\.csv$/i, '') + '.json';
}

/** The card of a data file: the one given, else `FILE.json` next to it; a usage error naming both ways out when there is none. */
export function resolveCardPath(dataPath: string, card: string | undefined, command: string): string {
  const cardPath = card ?? defaultCardPath(dataPath);
  if (!card && !existsSync(cardPath)) throw new UsageError(`${command}: no card for ${dataPath}: pass --card CARD.json (draft one with \`dpcondense card\`)`);
  return cardPath;
}

/** The outcome of a card in one line (label = positive value, or time and event columns). */
export function describeOutcome(card: DatasetCard): string {
  if (card.task === 'classification') return `${card.label} = ${JSON.stringify(card.positive)}`;
  return `${card.time}${card.time_unit ? ` (${card.time_unit})` : ''}, ${card.event}`;
}
