/**
 * `dpcondense synthesise --method mst`: fit a DP synthesiser (MST) on a bundled dataset's training
 * split or a user's CSV with its card, and release any number of rows with a receipt. Same input
 * handling as `condense` (shared helpers); outputs are written only after the run succeeded,
 * as one transaction (`../outputs.ts`).
 */
import type { Command } from 'commander';
import { formatTableCsv } from '../../data/format.js';
import { synthesise } from '../../synthesis/mst/index.js';
import { UsageError, formatNumber, type CliContext, type CommandModule } from '../context.js';
import { receiptFingerprint } from '../fingerprintKey.js';
import { planOutputs } from '../outputs.js';
import { inputFiles, invalidRecordOption, loadDataOption, numberOption, readBoundsFile, trainingSource } from '../options.js';
import { requireTrainingRows } from '../../data/table.js';
import type { InvalidRecordPolicy } from '../../data/ingest.js';

interface SynthesiseCliOptions {
  method: string;
  dataset?: string;
  data?: string;
  card?: string;
  rows: string;
  epsilon: string;
  delta: string;
  out: string;
  receipt?: string;
  bins?: string;
  bounds?: string;
  accountant?: string;
  seed?: string;
  clampToBounds?: boolean;
  onInvalid?: InvalidRecordPolicy;
  force?: boolean;
  quiet?: boolean;
  fingerprintKey?: string;
}

export const synthesiseCommand: CommandModule = {
  name: 'synthesise',
  register(program: Command, { io }: CliContext) {
    program
      .command('synthesise')
      .description('release a synthetic table from a DP synthesiser (MST) under differential privacy')
      .option('--method <name>', 'synthesiser: mst', 'mst')
      .option('--dataset <name>', 'a bundled dataset (its training split is used)')
      .option('--data <file.csv>', 'your own CSV (all rows are used)')
      .option('--card <card.json>', 'the card of --data (default: next to the CSV)')
      .option('--rows <n>', 'rows to release, or "full" for the DP estimate of the input size', 'full')
      .option('--epsilon <ε>', 'privacy budget ε ("inf" for MST without noise)', '3')
      .option('--delta <δ>', 'privacy parameter δ', '1e-5')
      .option('--out <file.csv>', 'synthetic CSV to write', 'synthetic.csv')
      .option('--receipt <file.json>', 'receipt to write (default: OUT with .receipt.json)')
      .option('--bins <k>', 'bins per numeric attribute (default 16)')
      .option('--bounds <file.json>', 'public bounds for features whose card has none: {"name": [low, high]}')
      .option('--accountant <kind>', 'rdp or pld')
      .option('--seed <n>', 'reproducible run (then NOT a private release)')
      .addOption(invalidRecordOption())
      .option('--clamp-to-bounds', 'the same as --on-invalid clamp')
      .option('--force', 'overwrite existing output files')
      .option('--quiet', 'no progress output')
      .option('--fingerprint-key <file>', 'secret key for the receipt\'s input fingerprint of --data (default: fingerprint.key in the config directory, created on first use)')
      .action(async (o: SynthesiseCliOptions) => {
        choice('method', o.method, ['mst']);
        const rows = o.rows === 'full' ? 'full' : numberOption('rows', o.rows, (v) => Number.isInteger(v) && v >= 1)!;
        const epsilon = numberOption('epsilon', o.epsilon, (v) => v > 0)!;
        const delta = numberOption('delta', o.delta, (v) => v > 0 && v < 1)!;
        const bins = numberOption('bins', o.bins, (v) => Number.isInteger(v) && v >= 2);
        const accountant = choice('accountant', o.accountant, ['rdp', 'pld']) as 'rdp' | 'pld' | undefined;
        const seed = numberOption('seed', o.seed, Number.isInteger);
        const receiptPath = o.receipt ?? o.out.replace(/\.csv$/i, '') + '.receipt.json';
        // Outputs are checked before any data is read or budget spent, and written together at the end.
        const outputs = planOutputs(
          [
            { option: '--out', path: o.out },
            { option: o.receipt ? '--receipt' : '--receipt (default)', path: receiptPath },
          ],
          { force: o.force, inputs: inputFiles(o) },
        );
        const bounds = o.bounds ? await readBoundsFile(o.bounds) : undefined;
        const { data, label } = await loadDataOption(o);
        requireTrainingRows(data.train, trainingSource(o));
        // No row count: it is read off the private data (full size is N̂, a DP count, in the receipt).
        if (!o.quiet) io.stderr.write(`synthesising from ${label} with MST → ${rows === 'full' ? 'the DP estimate of the input size in' : rows} synthetic rows, ε = ${epsilon}, δ = ${delta}\n`);
        // An OptionError of synthesise (a setting out of its domain) is a usage error (cli/main.ts).
        const result = await synthesise({ train: data.train, rows, epsilon, delta, bins, bounds, accountant, seed, inputFingerprint: await receiptFingerprint(o, data.sha256, io.stderr) });
        await outputs.commit([formatTableCsv(result.synthetic), JSON.stringify(result.receipt, null, 2) + '\n']);
        for (const caveat of result.caveats) io.stderr.write(`warning: ${caveat}\n`);
        const r = result.receipt;
        io.stdout.write(
          `wrote ${o.out} (${result.synthetic.nRows} rows) and ${receiptPath}\n` +
            `ε = ${typeof r.epsilon === 'number' ? formatNumber(r.epsilon) : r.epsilon} at δ = ${r.delta} (${r.accountant}); private release: ${r.private_release ? 'yes' : 'NO — ' + r.reasons_not_private.join('; ')}\n`,
        );
      });
  },
};

function choice(name: string, value: string | undefined, allowed: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new UsageError(`--${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value;
}
