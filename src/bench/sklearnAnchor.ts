/**
 * The scikit-learn side of the learner benchmark: runs the anchor script
 * (`shared/anchors/sklearn_eval_bench.py`, one JSON line per learner) with the system Python in a
 * child process, right after our own measurement and with the same m, d, B, so both run on the
 * same machine under the same load. Unavailable (no python3, no scikit-learn, no script) is a
 * normal outcome, reported as such.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface AnchorLine {
  learner: string;
  m: number;
  d: number;
  B: number;
  ms_per_eval: number;
}

export type AnchorOutcome = { available: true; lines: AnchorLine[]; python: string; script: string } | { available: false; reason: string };

export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The anchor script beside the project checkout (`<package>/../shared/anchors/`), from src/bench or dist/bench alike. */
export function defaultAnchorScript(): string {
  return fileURLToPath(new URL('../../../shared/anchors/sklearn_eval_bench.py', import.meta.url));
}

function run(
  file: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20, env }, (error, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), error: error ?? undefined });
    });
  });
}

/**
 * Run the anchor. `threads`: undefined = the libraries' own defaults (what a user gets; OpenMP in
 * HistGradientBoosting uses every core), or a count pinned through OMP_NUM_THREADS,
 * OPENBLAS_NUM_THREADS and MKL_NUM_THREADS (1 = single-threaded like our kernels, the
 * conservative comparison on a shared machine, where oversubscribed OpenMP threads can make
 * scikit-learn's boosting much slower).
 */
export async function runSklearnAnchor(
  options: { m: number; d: number; B: number; script?: string; python?: string; timeoutMs?: number; threads?: number },
): Promise<AnchorOutcome> {
  const python = options.python ?? DEFAULT_PYTHON;
  const script = options.script ?? defaultAnchorScript();
  if (!existsSync(python)) return { available: false, reason: `${python} not found` };
  if (!existsSync(script)) return { available: false, reason: `anchor script not found at ${script}` };
  const probe = await run(python, ['-c', 'import sklearn, numpy'], 60_000);
  if (probe.error) return { available: false, reason: `${python} cannot import scikit-learn (apt-get install python3-sklearn)` };
  const env =
    options.threads === undefined
      ? undefined
      : { ...process.env, OMP_NUM_THREADS: String(options.threads), OPENBLAS_NUM_THREADS: String(options.threads), MKL_NUM_THREADS: String(options.threads) };
  const result = await run(python, [script, String(options.m), String(options.d), String(options.B)], options.timeoutMs ?? 600_000, env);
  if (result.error) return { available: false, reason: `anchor script failed: ${result.error.message.split('\n')[0]}` };
  const lines: AnchorLine[] = [];
  for (const line of result.stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    const parsed = JSON.parse(t) as AnchorLine;
    if (typeof parsed.learner === 'string' && typeof parsed.ms_per_eval === 'number') lines.push(parsed);
  }
  if (!lines.length) return { available: false, reason: 'anchor script printed no results' };
  return { available: true, lines, python, script };
}
