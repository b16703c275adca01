/**
 * What the stand-alone benchmark scripts share: knowing whether they were started directly (rather
 * than imported by `main.ts`), reading `--name value` arguments, and reporting a failure.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** True when the module at `moduleUrl` (its `import.meta.url`) is the script Node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** The value after `--name` on the command line, or undefined. */
export function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Print a script's text result, or its error with a non-zero exit code. */
export function report(result: Promise<string>): void {
  result.then(
    (text) => console.log(text),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
