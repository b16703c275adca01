/**
 * The condensation settings as CLI flags, generated from the one declaration in
 * `condense/settings.ts`: every setting with a `flag` becomes `--flag <placeholder>` (or a switch for
 * a boolean) with its help and default, and `settingsFromFlags` turns the strings back into typed
 * settings. Range checks are the schema's own (in `resolveSettings`); an `OptionError` from there is
 * reported against the flag by `optionErrorAsUsage`.
 */
import type { Command } from 'commander';
import { DEFAULTS, OptionError, SETTINGS, parseLearnerList, type CondenseSettings } from '../condense/settings.js';
import { learnerSpecs } from '../models/registry.js';
import { UsageError } from './context.js';

type Entry = (typeof SETTINGS)[keyof typeof SETTINGS];

/** Defaults of the CLI where the library has none (it requires rows and ε). */
export const CLI_DEFAULTS: Partial<Record<keyof typeof SETTINGS, string>> = { epsilon: '3' };

/** The zod type under optional/default wrappers: 'number', 'boolean', 'enum', 'array', 'union', 'record'. */
function baseType(schema: Entry['schema']): string {
  let def = (schema as unknown as { def: { type: string; innerType?: { def: unknown } } }).def;
  while ((def.type === 'optional' || def.type === 'default') && def.innerType) def = def.innerType.def as typeof def;
  return def.type;
}

function flagged(): [keyof typeof SETTINGS, Entry & { meta: { flag: string } }][] {
  return (Object.entries(SETTINGS) as [keyof typeof SETTINGS, Entry][]).filter((e): e is [keyof typeof SETTINGS, Entry & { meta: { flag: string } }] => e[1].meta.flag !== undefined);
}

/** commander's camelCase attribute of a flag. */
function attribute(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function addSettingFlags(command: Command): Command {
  for (const [key, { schema, meta }] of flagged()) {
    const fallback = CLI_DEFAULTS[key] ?? (key in DEFAULTS && typeof DEFAULTS[key as keyof typeof DEFAULTS] !== 'object' ? String(DEFAULTS[key as keyof typeof DEFAULTS]) : undefined);
    if (baseType(schema) === 'boolean') command.option(`--${meta.flag}`, meta.help);
    else {
      const help = fallback !== undefined && !CLI_DEFAULTS[key] && !meta.help.includes('(default') ? `${meta.help} [default: ${fallback}]` : meta.help;
      command.option(`--${meta.flag} <${meta.placeholder ?? 'value'}>`, help, CLI_DEFAULTS[key]);
    }
  }
  return command.addHelpText('after', learnerHelp);
}

/** Learners and their parameters with defaults, for the help of `--model`. */
function learnerHelp(): string {
  const lines = learnerSpecs().map((spec) => `  ${spec.name} (${spec.task}): ${Object.entries(spec.defaults).map(([k, v]) => `${k}=${v}`).join(' ') || '(no parameters)'}`);
  return `\nLearners for --model and their parameters (defaults):\n${lines.join('\n')}\n`;
}

/** The settings given on the command line (absent flags stay absent, so the library's defaults apply). */
export function settingsFromFlags(values: Record<string, unknown>): Partial<CondenseSettings> {
  const out: Record<string, unknown> = {};
  for (const [key, { schema, meta }] of flagged()) {
    const raw = values[attribute(meta.flag)];
    if (raw === undefined || raw === '') continue;
    const type = baseType(schema);
    if (type === 'boolean') out[key] = raw === true;
    else if (type === 'array') out[key] = parseLearnerList(String(raw));
    // A union takes a number or one of its words (the schema checks which words; "inf" is a number).
    else if (type === 'union' && /^[a-z]+$/.test(String(raw)) && raw !== 'inf') out[key] = raw;
    else if (type === 'number' || type === 'union') out[key] = parseNumber(meta.flag, String(raw));
    else out[key] = raw;
  }
  return out as Partial<CondenseSettings>;
}

/** An `OptionError` of the settings, reported against its flag. */
export function optionErrorAsUsage(error: OptionError): UsageError {
  const flag = SETTINGS[error.option as keyof typeof SETTINGS]?.meta.flag;
  return new UsageError(flag ? `--${flag}: ${error.message}` : error.message);
}

function parseNumber(flag: string, text: string): number {
  const infinite = text === 'inf' || text === 'Infinity';
  const v = infinite ? Infinity : Number(text);
  // Only the words mean infinity: an overflowing number ("1e400") is a typo, not a request for no privacy.
  if (text.trim() === '' || Number.isNaN(v) || (!infinite && !Number.isFinite(v))) throw new UsageError(`--${flag}: invalid value "${text}"`);
  // An integer written out must be read exactly (a seed of 2^53 + 1 would silently become 2^53).
  if (/^\s*\d+\s*$/.test(text) && BigInt(text.trim()) !== BigInt(v)) throw new UsageError(`--${flag}: "${text}" is beyond 2^53, the largest integer read exactly`);
  return v;
}
