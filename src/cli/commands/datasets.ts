/** `dpcondense datasets`: the bundled datasets, from their cards (no data is read). */
import type { Command } from 'commander';
import { listBundledDatasets, loadBundledCard } from '../../node/bundled.js';
import { formatTextTable, type CliContext, type CommandModule } from '../context.js';
import { describeOutcome } from '../options.js';


export const datasetsCommand: CommandModule = {
  name: 'datasets',
  register(program: Command, { io }: CliContext) {
    program
      .command('datasets')
      .description('list the bundled datasets (task, rows, features, outcome, licence)')
      .option('--json', 'print the list as JSON')
      .action(async (options: { json?: boolean }) => {
        const cards = await Promise.all(listBundledDatasets().map((name) => loadBundledCard(name)));
        const rows = cards.map((card) => ({
          name: card.name,
          task: card.task,
          rows: card.rows ?? null,
          features: card.features.length,
          outcome: describeOutcome(card),
          licence: card.license ?? '',
        }));
        if (options.json) {
          io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        io.stdout.write(
          formatTextTable(
            ['name', 'task', 'rows', 'features', 'outcome', 'licence'],
            rows.map((r) => [r.name, r.task, r.rows === null ? '?' : String(r.rows), String(r.features), r.outcome, r.licence]),
          ),
        );
        io.stdout.write('\nProvenance and licences: datasets/README.md. Describe one with: dpcondense describe NAME\n');
      });
  },
};
