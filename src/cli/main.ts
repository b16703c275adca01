#!/usr/bin/env node
/**
 * The `dpcondense` command line. `main(argv, io)` runs in-process (tests pass their own writers)
 * and returns the exit code: 0 success, 1 bad data/card/model input (one line on stderr, no stack
 * trace), 2 wrong usage. Commands write their outputs atomically, so a failed run leaves nothing
 * half-written.
 *
 * To add a command: write `commands/NAME.ts` exporting a `CommandModule` and list it in COMMANDS.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { OptionError } from '../core/errors.js';
import { CardError } from '../data/card.js';
import { DataError } from '../data/errors.js';
import { ModelInputError, UnknownLearnerError } from '../models/types.js';
import { PrivacyBudgetError, PrivacyParameterError } from '../privacy/errors.js';
import { cardCommand } from './commands/card.js';
import { condenseCommand } from './commands/condense.js';
import { datasetsCommand } from './commands/datasets.js';
import { describeCommand } from './commands/describe.js';
import { evaluateCommand } from './commands/evaluate.js';
import { reportCommand } from './commands/report.js';
import { synthesiseCommand } from './commands/synthesise.js';
import { UsageError, type CliIo, type CommandModule } from './context.js';
import { installInterruptHandlers } from './interrupt.js';
import { optionErrorAsUsage } from './settingsFlags.js';

const COMMANDS: readonly CommandModule[] = [datasetsCommand, describeCommand, cardCommand, condenseCommand, synthesiseCommand, evaluateCommand, reportCommand];

export const EXIT_OK = 0;
export const EXIT_INPUT_ERROR = 1;
export const EXIT_USAGE = 2;

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command();
  program
    .name('dpcondense')
    .description('Condense a private clinical table into a small synthetic table under differential privacy.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showSuggestionAfterError();
  // Subcommands copy the exit override and output settings when created, so register them last.
  for (const command of COMMANDS) command.register(program, { io });
  return program;
}

/**
 * How the CLI reports an error: `usage` (exit 2) for the caller's options — the CLI's own
 * `UsageError`, an `OptionError` of the settings or of a synthesiser (reported against its flag), an
 * unknown learner, a budget that cannot pay for the run or a privacy parameter out of its domain;
 * `input` (exit 1, one line) for bad data, card or model input; `internal` for anything else — a bare
 * `RangeError` from V8 or a metric included, which is not the caller's option.
 */
export function classifyError(error: unknown): { kind: 'usage' | 'input' | 'internal'; message: string } {
  if (error instanceof OptionError) return { kind: 'usage', message: optionErrorAsUsage(error).message };
  if (error instanceof UsageError || error instanceof UnknownLearnerError || error instanceof PrivacyBudgetError || error instanceof PrivacyParameterError) {
    return { kind: 'usage', message: error.message };
  }
  if (error instanceof DataError || error instanceof CardError || error instanceof ModelInputError) return { kind: 'input', message: error.message };
  const message = error instanceof Error ? (process.env.DPCONDENSE_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  return { kind: 'internal', message };
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed its own usage message otherwise.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const { kind, message } = classifyError(error);
    if (kind === 'internal') {
      io.stderr.write(`internal error: ${message}\n(set DPCONDENSE_DEBUG=1 for a stack trace; please report this)\n`);
      return EXIT_INPUT_ERROR;
    }
    io.stderr.write(`error: ${message}\n`);
    return kind === 'usage' ? EXIT_USAGE : EXIT_INPUT_ERROR;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * Keep V8's young generation at the size it has when the command starts (16 MB) instead of letting
 * it double to 32 MB: reading a large table allocates short-lived strings through thousands of
 * scavenges, and a young generation once grown stays resident for the rest of the run (measured
 * figures: the README's "Speed and scale"). V8 reads the growth factor at each resize, so setting it
 * after start-up takes effect; commands run in-process (the tests) keep V8's default.
 */
function keepYoungGenerationSize(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

if (isEntryPoint()) {
  keepYoungGenerationSize();
  // A closed pipe (`dpcondense describe x | head`) is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  installInterruptHandlers(process.stderr);
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
