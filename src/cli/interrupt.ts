/**
 * Ctrl-C and SIGTERM for the command line: one line on stderr ("interrupted; nothing written"), the
 * terminal cursor shown again (the progress bar hides it), every registered clean-up run (temporary
 * output files and locks, see outputs.ts), and exit 130 (SIGINT) or 143 (SIGTERM), the shell's
 * convention of 128 + signal number.
 *
 * Outputs are published in one synchronous step, so a signal is handled either before it (nothing
 * written) or after it; the message says which.
 */
const cleanups = new Set<() => void>();
let published = false;

/** Register a synchronous clean-up to run on interruption; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Record that a run's outputs are in place (an interruption after this point writes nothing more). */
export function markOutputsPublished(): void {
  published = true;
}

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/** The message and exit code for an interruption now; runs and clears the clean-ups. */
export function interrupt(signal: 'SIGINT' | 'SIGTERM'): { message: string; code: number } {
  for (const cleanup of [...cleanups]) {
    try {
      cleanup();
    } catch {
      // best effort: the remaining clean-ups still run
    }
  }
  cleanups.clear();
  return { message: published ? 'interrupted; the outputs had already been written' : 'interrupted; nothing written', code: SIGNAL_EXIT[signal] };
}

/** Install the handlers (the CLI entry point only; in-process callers keep the default behaviour). */
export function installInterruptHandlers(stderr: NodeJS.WriteStream): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const { message, code } = interrupt(signal);
      // On a terminal: clear the progress bar's line and show the cursor it hid.
      const prefix = stderr.isTTY ? '\r\x1b[2K\x1b[?25h' : '';
      stderr.write(`${prefix}${message}\n`, () => process.exit(code));
      setTimeout(() => process.exit(code), 200).unref();
    });
  }
}
