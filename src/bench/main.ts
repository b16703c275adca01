#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): the benchmarks of dpcondense.
 *
 * - One case per registered learner (classification and survival, registry defaults) plus the
 *   scikit-learn configurations `rf20` and `gbt20` (and `gbt20-d3`, our boosting defaults with 20
 *   rounds): the cost of one zero-order evaluation (see `learnerEval.ts`). Cases with a
 *   scikit-learn counterpart (cart depth 5, logistic, rf with 20 trees, gbt with 20 rounds) are
 *   compared with the anchor script, run in a child process with the same m, d, B. The anchored
 *   cases and the anchor alternate for `--rounds` rounds, so a slow spell of a shared machine hits
 *   both sides, and the ratio sklearn_ms / ours_ms uses the medians over rounds (goal ≥ 10x).
 * - `condense`: wall time of `condense --dataset support --model cox --rows 50 --epsilon 3`
 *   (`condenseSpeed.ts`; goal < 2 min).
 * - Only with `--only`: `ingest-memory`, the 1M-row CSV memory check and a 300-step CLI
 *   condensation of it (`ingestMemory.ts`); `step-cost`, ms per step against n from 10³ to 10⁷
 *   (`stepCost.ts`); `parallel`, ms per step inline and on 1 and 2 worker threads for every learner
 *   at m = 200, K ∈ {4, 16} (`parallelSteps.ts`).
 *
 *   node dist/bench/main.js [--only NAME[,NAME...]] [--list] [--m 50 --d 30 --B 512]
 *                           [--repeats 5 --seconds 1 --warmup 1 --rounds 3] [--no-anchor] [--anchor-threads N]
 *                           [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { learnerSpecs } from '../models/registry.js';
import { formatCondenseSpeed, runCondenseSpeedBench } from './condenseSpeed.js';
import { formatIngestMemoryResult, runIngestMemoryBench } from './ingestMemory.js';
import { formatParallelSteps, measureMessagingOverhead, runParallelStepBench } from './parallelSteps.js';
import { formatStepCost, runStepCostBench } from './stepCost.js';
import { type EvalBenchCase, type EvalBenchResult, SURVIVAL_GRID_POINTS, median, runEvalBench } from './learnerEval.js';
import { type AnchorOutcome, DEFAULT_PYTHON, defaultAnchorScript, runSklearnAnchor } from './sklearnAnchor.js';

/** scikit-learn anchor line for the learners whose registry defaults match its configuration. */
const ANCHOR_OF_DEFAULTS: Record<string, string> = { cart: 'cart_depth5', logistic: 'logistic_l2' };

export function evalBenchCases(): EvalBenchCase[] {
  const cases: EvalBenchCase[] = learnerSpecs().map((spec) => ({
    name: spec.name,
    learner: spec.name,
    params: {},
    anchor: ANCHOR_OF_DEFAULTS[spec.name],
  }));
  cases.push({ name: 'rf20', learner: 'rf', params: { nTrees: 20 }, anchor: 'random_forest_20' });
  cases.push({ name: 'gbt20', learner: 'gbt', params: HIST_GBT_20, paramsLabel: 'as hist_gbt_20', anchor: 'hist_gbt_20' });
  cases.push({ name: 'gbt20-d3', learner: 'gbt', params: { nRounds: 20 }, anchor: 'hist_gbt_20', anchorConfigDiffers: true });
  return cases;
}

/**
 * scikit-learn's HistGradientBoostingClassifier(max_iter=20) in our parameters: leaf-wise growth to
 * 31 leaves without a depth limit, leaves of ≥ 20 rows, no L2 penalty, min_hessian_to_split 1e-3,
 * 255 bins. On the benchmark's 50 rows that allows a single split per tree. `gbt20-d3` times our
 * defaults (depth 3, leaves of one row: up to 7 splits per tree) against the same anchor line, for
 * information only.
 */
const HIST_GBT_20 = { nRounds: 20, learningRate: 0.1, maxDepth: 0, maxLeaves: 31, minSamplesLeaf: 20, lambda: 0, minChildWeight: 1e-3, maxBins: 255 };

/** Run by default after the learner cases: the end-to-end condensation timing. */
const WHOLE_RUN = ['condense'];
const OPT_IN = ['ingest-memory', 'step-cost', 'parallel'];
const GOAL_RATIO = 10;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function pad(s: string, width: number, right = false): string {
  return right ? s.padStart(width) : s.padEnd(width);
}

function formatParams(p: Record<string, unknown>): string {
  const entries = Object.entries(p);
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(' ') : '(defaults)';
}

function formatMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(2) : ms >= 0.1 ? ms.toFixed(3) : ms.toFixed(4);
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .description('dpcondense benchmarks: cost of one zero-order evaluation per learner, with the scikit-learn anchor')
    .option('--only <names>', 'comma-separated benchmark names (see --list)')
    .option('--list', 'list the benchmarks and exit')
    .option('--m <rows>', 'synthetic rows fitted per evaluation', positiveInt, 50)
    .option('--d <features>', 'features', positiveInt, 30)
    .option('--B <rows>', 'real rows predicted per evaluation', positiveInt, 512)
    .option('--repeats <n>', 'timed loops per case (the median is reported)', positiveInt, 5)
    .option('--seconds <s>', 'length of each timed loop', nonNegativeNumber, 1)
    .option('--rounds <n>', 'alternate the anchored cases and the anchor this many times (ratios from the medians)', positiveInt, 3)
    .option('--warmup <s>', 'untimed warm-up loop before timing', nonNegativeNumber, 1)
    .option('--seed <n>', 'seed of the generated problem', positiveInt, 1)
    .option('--no-anchor', 'skip the scikit-learn anchor')
    .option('--anchor-script <path>', 'scikit-learn anchor script', defaultAnchorScript())
    .option('--python <path>', 'Python interpreter for the anchor', DEFAULT_PYTHON)
    .option('--anchor-threads <n>', 'pin the anchor to n threads (OMP/OpenBLAS/MKL); default: library defaults', positiveInt)
    .option('--json <file>', 'also write the results as JSON')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<{
    only?: string;
    list?: boolean;
    m: number;
    d: number;
    B: number;
    repeats: number;
    seconds: number;
    rounds: number;
    warmup: number;
    seed: number;
    anchor: boolean;
    anchorScript: string;
    python: string;
    anchorThreads?: number;
    json?: string;
  }>();

  const cases = evalBenchCases();
  const allNames = [...cases.map((c) => c.name), ...WHOLE_RUN, ...OPT_IN];
  if (o.list) {
    for (const c of cases) console.log(`${pad(c.name, 14)} ${c.learner} ${formatParams(c.params)}${c.anchor ? `  [anchor: ${c.anchor}${c.anchorConfigDiffers ? ', different configuration' : ''}]` : ''}`);
    for (const name of WHOLE_RUN) console.log(`${pad(name, 14)} condense --dataset support --model cox --rows 50 --epsilon 3 (wall time)`);
    for (const name of OPT_IN) console.log(`${pad(name, 14)} (opt-in: run only with --only ${name})`);
    return 0;
  }
  const selected = o.only ? o.only.split(',').map((s) => s.trim()).filter(Boolean) : [...cases.map((c) => c.name), ...WHOLE_RUN];
  const unknown = selected.filter((n) => !allNames.includes(n));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${allNames.join(', ')}`);
    return 2;
  }

  const evalCases = cases.filter((c) => selected.includes(c.name));
  const anchored = evalCases.filter((c) => c.anchor);
  const useAnchor = o.anchor && anchored.length > 0;
  const rounds = useAnchor ? o.rounds : 1;
  const results: EvalBenchResult[] = [];
  const anchors: AnchorOutcome[] = [];
  if (evalCases.length) {
    console.log(
      `One zero-order evaluation: fit m=${o.m} x d=${o.d}, predict B=${o.B} rows (survival: predictSurvival on ${SURVIVAL_GRID_POINTS} time points).`,
    );
    console.log(
      `Median of ${o.repeats} loops of ${o.seconds} s after a ${o.warmup} s warm-up; node ${process.version}, ${availableParallelism()} CPU(s).`,
    );
    if (rounds > 1) {
      console.log(`${rounds} rounds, each timing the anchored cases and then running the scikit-learn anchor; ratios use the medians over rounds.`);
    }
    const threads = o.anchorThreads === undefined ? 'library-default threads' : `${o.anchorThreads} thread(s)`;
    for (let round = 1; round <= rounds; round++) {
      const roundCases = round === 1 ? evalCases : anchored;
      console.log(`\n${rounds > 1 ? `round ${round} of ${rounds}\n` : ''}${pad('case', 10)} ${pad('learner', 9)} ${pad('params', 18)} ${pad('ms/eval', 10, true)}  ${pad('repeats min-max', 19)} ${pad('evals', 8, true)}`);
      for (const c of roundCases) {
        const r = runEvalBench(c, { m: o.m, d: o.d, B: o.B, repeats: o.repeats, seconds: o.seconds, warmupSeconds: o.warmup, seed: o.seed });
        results.push(r);
        const lo = Math.min(...r.repeatsMs);
        const hi = Math.max(...r.repeatsMs);
        const params = c.paramsLabel ?? formatParams(c.params);
        console.log(
          `${pad(c.name, 10)} ${pad(c.learner, 9)} ${pad(params, 18)} ${pad(formatMs(r.medianMs), 10, true)}  ${pad(`${formatMs(lo)}-${formatMs(hi)}`, 19)} ${pad(String(r.evaluationsTimed), 8, true)}`,
        );
      }
      if (!useAnchor) continue;
      console.log(`scikit-learn anchor (${threads}; ours is single-threaded): ${o.anchorScript} ${o.m} ${o.d} ${o.B} ...`);
      const outcome = await runSklearnAnchor({ m: o.m, d: o.d, B: o.B, script: o.anchorScript, python: o.python, threads: o.anchorThreads });
      anchors.push(outcome);
      if (!outcome.available) {
        console.log(`scikit-learn anchor unavailable: ${outcome.reason}`);
        break;
      }
      console.log(outcome.lines.map((l) => `  ${pad(l.learner, 18)} ${pad(formatMs(l.ms_per_eval), 10, true)} ms/eval`).join('\n'));
    }
    if (anchored.length && !o.anchor) console.log('\nscikit-learn anchor: skipped (--no-anchor)');
    const answered = anchors.filter((a): a is Extract<AnchorOutcome, { available: true }> => a.available);
    if (answered.length) {
      console.log(`\nRatio sklearn / ours from the medians over ${answered.length} round(s) (per-round ratios in brackets):`);
      console.log(`${pad('case', 10)} ${pad('sklearn', 18)} ${pad('ours ms', 10, true)} ${pad('sklearn ms', 11, true)} ${pad('ratio', 8, true)}  goal >= ${GOAL_RATIO}x  rounds`);
      for (const c of anchored) {
        const ours = results.filter((r) => r.name === c.name).map((r) => r.medianMs);
        const theirs = answered.map((a) => a.lines.find((l) => l.learner === c.anchor)?.ms_per_eval);
        if (theirs.some((t) => t === undefined)) {
          console.log(`${pad(c.name, 10)} ${pad(c.anchor!, 18)} (no anchor line)`);
          continue;
        }
        const sklearnMs = median(theirs as number[]);
        const oursMs = median(ours);
        const ratio = sklearnMs / oursMs;
        const perRound = ours.map((ms, k) => ((theirs[k] as number) / ms).toFixed(1)).join(' ');
        const verdict = c.anchorConfigDiffers ? 'info  ' : ratio >= GOAL_RATIO ? 'met   ' : 'NOT met';
        console.log(
          `${pad(c.name, 10)} ${pad(c.anchor!, 18)} ${pad(formatMs(oursMs), 10, true)} ${pad(formatMs(sklearnMs), 11, true)} ${pad(`${ratio.toFixed(1)}x`, 8, true)}  ${pad(verdict, 12)}[${perRound}]`,
        );
      }
      if (anchored.some((c) => c.anchorConfigDiffers)) console.log('info: our configuration differs from the anchor\'s (see --list); not a like-for-like ratio.');
    }
  }

  let condenseSpeed: unknown;
  if (selected.includes('condense')) {
    const r = await runCondenseSpeedBench();
    condenseSpeed = r;
    console.log(`\n${formatCondenseSpeed(r)}`);
  }

  let ingest: unknown;
  if (selected.includes('ingest-memory')) {
    const r = await runIngestMemoryBench(1_000_000, 30, 300);
    ingest = r;
    console.log(`\n${formatIngestMemoryResult(r)}`);
  }

  let stepCost: unknown;
  if (selected.includes('step-cost')) {
    const r = await runStepCostBench([1e3, 1e4, 1e5, 1e6, 1e7]);
    stepCost = r;
    console.log(`\n${formatStepCost(r)}`);
  }

  let parallel: unknown;
  if (selected.includes('parallel')) {
    const overhead = await measureMessagingOverhead();
    const r = await runParallelStepBench(['logistic', 'cart', 'rf', 'gbt', 'cox', 'survtree', 'rsf'], [4, 16], 200);
    parallel = { overhead, steps: r };
    console.log(`\n${formatParallelSteps(r, overhead)}`);
  }

  if (o.json) {
    const report = {
      node: process.version,
      options: { m: o.m, d: o.d, B: o.B, repeats: o.repeats, seconds: o.seconds, warmup: o.warmup, rounds, anchorThreads: o.anchorThreads ?? 'default' },
      learners: results,
      anchors,
      condense: condenseSpeed,
      ingest,
      stepCost,
      parallel,
    };
    writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
