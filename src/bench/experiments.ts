/**
 * Condensation experiments (docs/RESULTS.md): for each bundled dataset, table size m, method and ε,
 * the test metric of each evaluation learner trained on
 *   full real data · random real subset of m rows · per-stratum k-means centroids ·
 *   DP per-stratum Gaussian at each ε · MST at each ε, subsampled to m rows like the random subset
 *   (`mst`) and at full size (`mst-full`) · dpcondense at each ε (∞ = non-private condensation),
 * over several seeds: mean ± sd, and optionally the worst seed. Cells (dataset, method, ε, m, seed)
 * run across worker threads and are cached in a JSONL file, so an interrupted grid resumes and a
 * grown grid reuses what is done. Seeded runs are research runs, not private releases.
 *
 *   node dist/bench/experiments.js --datasets pima,metabric --epsilons 1,3,8,inf --seeds 5 --cache results/cells.jsonl
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { loadBundledCard } from '../node/bundled.js';
import { DEFAULT_LEARNERS, REFERENCE_ROWS, formatLearnerList, learnerChoiceName, parseLearnerList, type CondenseOptions, type LearnerChoice } from '../condense/condense.js';
import { EXTERNAL_COHORT, METHODS, type CellResult, type CellSpec } from './experimentCells.js';
import { runCells, type WorkerSummary } from './experimentPool.js';
import { ownThreadCpuSeconds } from './threadCpu.js';

export interface ExperimentCell {
  dataset: string;
  method: string;
  epsilon: number | null;
  rows: number;
  /** Extra condense options of this column ('' when none). */
  variant: string;
  evalLearner: string;
  values: number[];
  seconds: number[];
}

/** Methods that spend a privacy budget (one cell per ε). */
const PRIVATE_METHODS = new Set(['dp-gaussian', 'mst', 'mst-full', 'dpcondense']);

export function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

/** mean ± sd, and the worst (lowest) seed when asked. */
export function formatCell(values: number[], worst = false): string {
  if (!values.length) return '—';
  const { mean, sd } = meanSd(values);
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)}${worst && values.length > 1 ? ` (worst ${Math.min(...values).toFixed(3)})` : ''}`;
}

export function columnLabel(c: Pick<ExperimentCell, 'method' | 'epsilon' | 'variant'>): string {
  const eps = c.epsilon === null ? '' : ` ε=${Number.isFinite(c.epsilon) ? c.epsilon : '∞'}`;
  return `${c.method}${eps}${c.variant ? ` ${c.variant}` : ''}`;
}

/** One row per (dataset, evaluation learner, m), one column per method, ε and variant. */
export function markdownTable(cells: ExperimentCell[], worst = false): string {
  const columns = [...new Set(cells.map(columnLabel))];
  const showRows = new Set(cells.map((c) => c.rows)).size > 1;
  const rowKey = (c: ExperimentCell) => `${c.dataset}\u0000${c.evalLearner}\u0000${c.rows}`;
  const rows = [...new Set(cells.map(rowKey))];
  const head = ['dataset', 'learner', ...(showRows ? ['m'] : []), ...columns];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const [dataset, learner, m] = row.split('\u0000');
    const values = columns.map((col) => {
      const c = cells.find((x) => rowKey(x) === row && columnLabel(x) === col);
      return c ? formatCell(c.values, worst) : '';
    });
    lines.push(`| ${[dataset, learner, ...(showRows ? [m] : []), ...values].join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/** Group per-seed cell results into table cells (seeds become the values of one cell). */
export function collect(results: CellResult[]): ExperimentCell[] {
  const cells = new Map<string, ExperimentCell>();
  const add = (dataset: string, r: CellResult, learner: string, value: number, seconds: boolean) => {
    const variant = Object.keys(r.spec.settings).length ? JSON.stringify(r.spec.settings) : '';
    const key = JSON.stringify([dataset, r.spec.method, r.spec.epsilon === Infinity ? 'inf' : r.spec.epsilon, r.spec.rows, variant, learner]);
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { dataset, method: r.spec.method, epsilon: r.spec.epsilon, rows: r.spec.rows, variant, evalLearner: learner, values: [], seconds: [] }));
    cell.values.push(value);
    if (seconds) cell.seconds.push(r.seconds);
  };
  for (const r of results) {
    r.spec.evalLearners.forEach((learner, i) => add(r.spec.dataset, r, learner, r.scores[learner], i === 0));
    const external = EXTERNAL_COHORT[r.spec.dataset];
    if (r.externalScores) for (const learner of r.spec.evalLearners) add(`${r.spec.dataset}→${external}`, r, learner, r.externalScores[learner], false);
  }
  return [...cells.values()];
}

/**
 * CPU seconds of the grid: the whole process, this thread, the worker threads (start-up included) and the rest (V8's
 * helper threads: concurrent compilation and garbage collection, libuv), since `start`. With one
 * worker the helpers have the second core to themselves; with two they compete with the cells.
 */
function cpuSplit(start: { process: NodeJS.CpuUsage; thread: number }, workers: WorkerSummary[]): string {
  const used = process.cpuUsage(start.process);
  const total = (used.user + used.system) / 1e6;
  const here = ownThreadCpuSeconds() - start.thread;
  const workerThreads = workers.slice(1).reduce((sum, w) => sum + w.cpuSeconds + w.startupCpuSeconds, 0);
  return `cpu ${total.toFixed(1)} s in all: ${here.toFixed(1)} s this thread, ${workerThreads.toFixed(1)} s worker threads, ${(total - here - workerThreads).toFixed(1)} s V8/libuv helpers`;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('experiments')
    .option('--datasets <list>', 'datasets', 'pima,wdbc,physionet2012,support,metabric,rotterdam')
    .option('--epsilons <list>', 'ε values (inf = non-private condensation)', '1,3,8,inf')
    .option('--seeds <n>', 'seeds per cell (seeds 1..n, or first..first + n − 1 with --first-seed)', '5')
    .option('--first-seed <n>', 'first seed (fresh seeds for a confirmation; a cell\'s key is its seed, so caches mix)', '1')
    .option('--rows <list>', 'synthetic rows m, comma-separated (default 20 for classification, 50 for survival)')
    .option('--model <list>', `condensation learner(s), comma-separated, with parameters as for condense (default: the engine's, ${formatLearnerList(DEFAULT_LEARNERS.classification)} / ${formatLearnerList(DEFAULT_LEARNERS.survival)})`)
    .option('--eval <list>', 'evaluation learners (default: the condensation learner)')
    .option('--set <json>', 'extra condense options as JSON, e.g. {"steps":200}; a JSON array runs each as its own column', '{}')
    .option('--methods <list>', `methods to run (known: ${Object.keys(METHODS).join(', ')})`, 'full,random,kmeans,dp-gaussian,mst,mst-full,dpcondense')
    .option('--baselines <bool>', 'false = only dpcondense (same as --methods dpcondense)', 'true')
    .option('--external', 'also evaluate rotterdam-condensed data on gbsg')
    .option('--workers <n>', 'threads running cells: this one and n − 1 worker threads (1 = inline)', '2')
    .option('--cache <file>', 'JSONL cache of finished cells: read first, appended to; cached cells are not rerun')
    .option('--worst', 'show the worst seed beside mean ± sd')
    .option('--out <file>', 'write all cells as JSON')
    .option('--markdown <file>', 'write the results as a Markdown table (one row per dataset, evaluation learner and m)');
  program.parse(argv, { from: 'user' });
  const o = program.opts();
  const datasets = String(o.datasets).split(',');
  const epsilons = String(o.epsilons).split(',').map((e) => (e === 'inf' ? Infinity : Number(e)));
  const seeds = Number(o.seeds);
  const firstSeed = Number(o.firstSeed);
  if (!(Number.isInteger(firstSeed) && firstSeed >= 1)) throw new RangeError(`--first-seed must be a positive integer (got ${o.firstSeed})`);
  const parsed = JSON.parse(o.set) as Partial<CondenseOptions> | Partial<CondenseOptions>[];
  const variants = Array.isArray(parsed) ? parsed : [parsed];
  const methods = o.baselines === 'false' ? ['dpcondense'] : String(o.methods).split(',');
  for (const m of methods) if (!METHODS[m]) throw new RangeError(`unknown method "${m}"`);

  const specs: CellSpec[] = [];
  for (const name of datasets) {
    const task = (await loadBundledCard(name)).task;
    const model: LearnerChoice[] = o.model ? parseLearnerList(String(o.model)) : [...DEFAULT_LEARNERS[task]];
    // Evaluation fits each learner with its own defaults (a 4-tree forest in the loss is scored as the 100-tree one).
    const evalLearners = o.eval ? String(o.eval).split(',') : [...new Set(model.map(learnerChoiceName))];
    const sizes = o.rows ? String(o.rows).split(',').map(Number) : [REFERENCE_ROWS[task]];
    const external = Boolean(o.external) && name in EXTERNAL_COHORT;
    for (const rows of sizes) {
      for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
        const base = { dataset: name, rows, seed, evalLearners, external };
        for (const method of methods) {
          if (method === 'dpcondense') {
            for (const epsilon of epsilons) for (const settings of variants) specs.push({ ...base, method, epsilon, model, settings });
          } else if (PRIVATE_METHODS.has(method)) {
            // MST does not depend on the condensation learner; its full-size table not on m either.
            const mst = method.startsWith('mst');
            for (const epsilon of epsilons.filter(Number.isFinite)) {
              specs.push({ ...base, method, epsilon, model: mst ? [] : model, settings: {}, rows: method === 'mst-full' ? 0 : rows });
            }
          } else {
            // Budget-free baselines do not depend on the condensation learner; `full` not on m either.
            specs.push({ ...base, method, epsilon: null, model: [], settings: {}, rows: method === 'full' ? 0 : rows });
          }
        }
      }
    }
  }
  // `full` cells repeat across m: keep one per seed.
  const unique = [...new Map(specs.map((s) => [JSON.stringify(s), s])).values()];

  const t0 = performance.now();
  const cpuAtStart = { process: process.cpuUsage(), thread: ownThreadCpuSeconds() };
  let workerSummaries: WorkerSummary[] = [];
  const results = await runCells(unique, {
    workers: Number(o.workers),
    cachePath: o.cache,
    onWorkersDone: (summaries) => (workerSummaries = summaries),
    onResult: (r, done, total, cached) => {
      const first = r.spec.evalLearners[0];
      const eps = r.spec.epsilon === null ? '' : ` ε=${r.spec.epsilon}`;
      process.stderr.write(`[${done}/${total}] ${r.spec.dataset} ${r.spec.method}${eps} m=${r.spec.rows} seed ${r.spec.seed}: ${first} ${r.scores[first].toFixed(3)}${cached ? ' (cached)' : ` (${r.seconds.toFixed(1)} s)`}\n`);
    },
  });
  process.stderr.write(`wall time ${((performance.now() - t0) / 1000).toFixed(1)} s with ${o.workers} worker(s)\n`);
  if (workerSummaries.length) {
    const finished = workerSummaries.map((w) => w.finishedAtSeconds);
    process.stderr.write(
      `workers: ${workerSummaries.map((w) => `${w.cells} cells, busy ${w.busySeconds.toFixed(1)} s, cpu ${w.cpuSeconds.toFixed(1)} s${w.startupCpuSeconds ? ` + ${w.startupCpuSeconds.toFixed(1)} s start-up` : ''}, done at ${w.finishedAtSeconds.toFixed(1)} s`).join('; ')} (idle tail ${(Math.max(...finished) - Math.min(...finished)).toFixed(1)} s)\n`,
    );
  }
  process.stderr.write(`${cpuSplit(cpuAtStart, workerSummaries)}\n`);
  // Rows of `full` belong to every m of its dataset.
  const expanded = results.flatMap((r) => {
    if (r.spec.method !== 'full') return [r];
    const sizes = [...new Set(unique.filter((s) => s.dataset === r.spec.dataset && s.method !== 'full').map((s) => s.rows))];
    return (sizes.length ? sizes : [0]).map((rows) => ({ ...r, spec: { ...r.spec, rows } }));
  });
  const cells = collect(expanded);
  for (const c of cells) {
    console.log(`${c.dataset.padEnd(16)} m=${String(c.rows).padEnd(4)} ${columnLabel(c).padEnd(30)} ${c.evalLearner.padEnd(9)} ${formatCell(c.values, true)}  (${c.seconds.length ? meanSd(c.seconds).mean.toFixed(1) + ' s' : ''})`);
  }
  if (o.markdown) {
    mkdirSync(dirname(o.markdown), { recursive: true });
    writeFileSync(o.markdown, markdownTable(cells, Boolean(o.worst)));
  }
  if (o.out) {
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(cells, (k, v) => (v === Infinity ? 'Infinity' : v), 1));
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
