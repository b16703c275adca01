/**
 * `dpcondense card FILE.csv --label COL [--positive V] | --time COL --event COL [--out CARD.json]`:
 * draft a dataset card for the user to review (rules in data/inferCard.ts). Every numeric bound is
 * written as null; the draft is checked by reading the file with it before anything is written,
 * and an existing file is only replaced with --force.
 */
import type { Command } from 'commander';
import { UsageError, type CliContext, type CommandModule } from '../context.js';
import { asksForDraft, draftCardForFile, featureTypeCounts, type DraftOutcomeOptions } from '../draftCard.js';
import { planOutputs } from '../outputs.js';
import { defaultCardPath } from '../options.js';

interface CardOptions extends DraftOutcomeOptions {
  out?: string;
  force?: boolean;
}

export const cardCommand: CommandModule = {
  name: 'card',
  register(program: Command, { io }: CliContext) {
    program
      .command('card')
      .description('draft a dataset card for a CSV (types and categories inferred; bounds left null for you to fill in)')
      .argument('<file.csv>', 'the CSV file')
      .option('--label <column>', 'binary outcome column (classification)')
      .option('--positive <value>', 'label value of the positive class (default: inferred when unambiguous, e.g. 1 or yes)')
      .option('--time <column>', 'follow-up time column (survival)')
      .option('--event <column>', 'event indicator column, 1 = event, 0 = censored (survival)')
      .option('--out <card.json>', 'where to write the card ("-" for standard output; default: FILE.json next to the CSV)')
      .option('--force', 'overwrite an existing card file')
      .option('--name <name>', 'dataset name in the card (default: the file name)')
      .option('--exclude <columns>', 'comma-separated columns to leave out (identifiers, free text)')
      .option('--max-levels <n>', 'most distinct text values a categorical may have', '20')
      .option('--delimiter <c>', 'field separator: one character, or "tab" (default: tab for .tsv, else comma)')
      .option('--decimal <mark>', 'decimal mark of the numbers: "." (default) or ","')
      .addHelpText(
        'after',
        '\nType rules: 0/1 numbers → binary; integers → integer; other numbers → numeric; text with 2 values → binary, ' +
          'up to --max-levels values → categorical. Numeric codes become integer: edit them to categorical if they are codes.',
      )
      .action(async (csvPath: string, options: CardOptions) => {
        if (asksForDraft(options) === false) throw new UsageError('card: give --label COL (classification) or --time COL --event COL (survival)');
        const out = options.out ?? defaultCardPath(csvPath);
        // Checked before the file is read: the card may not replace the CSV (or any existing file without --force).
        const outputs = out === '-' ? undefined : planOutputs([{ option: options.out ? '--out' : '--out (default)', path: out }], { force: options.force, inputs: [{ option: 'FILE.csv', path: csvPath }] });
        const { card, notes, table } = await draftCardForFile(csvPath, options, 'card');
        const text = JSON.stringify(card, null, 2) + '\n';
        if (outputs) await outputs.commit([text]);
        else io.stdout.write(text);
        const report = out === '-' ? io.stderr : io.stdout;
        const counts = featureTypeCounts(card);
        report.write(`${out === '-' ? 'Draft card' : `Wrote draft card ${out}`}: ${card.features.length} features (${counts}); checked against ${table.nRows} rows.\n`);
        for (const note of notes) report.write(`  - ${note}\n`);
        report.write('Review it before use: a card is public. Put public bounds (coding or physiological ranges) in place of null where known.\n');
      });
  },
};
