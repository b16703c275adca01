/**
 * What every CLI command gets: where to write (so commands run in-process in tests), and the
 * shape of a command module (so registering one is a single entry in main.ts).
 */
import type { Command } from 'commander';

export interface TextWriter {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextWriter;
  stderr: TextWriter;
}

export interface CliContext {
  io: CliIo;
}

/** A subcommand: adds itself (arguments, options, action) to the program. */
export interface CommandModule {
  name: string;
  register(program: Command, context: CliContext): void;
}

/** Wrong use of the command line (bad combination of options, ...): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Plain-text table with left-aligned columns (two spaces apart). */
export function formatTextTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => (j === cells.length - 1 ? c : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** A number for people: integers as is, others to 4 significant digits (no exponent below 1e9). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e9) return String(Number(v.toPrecision(4)));
  return v.toPrecision(4);
}
