#!/usr/bin/env node
/**
 * Memory at registry size: a generated CSV of N rows × D numeric features (plus a 0/1 label) is
 *  (1) loaded with `loadCsvDataset` in a fresh Node process, which reports its RSS before the load
 *      and its peak RSS (the process high-water mark) against the size of the typed arrays the
 *      table becomes (goal: peak within 1.5× of them);
 *  (2) optionally condensed by the command line, `condense --data … --steps S` (a private run,
 *      secure generator), under `/usr/bin/time -v`, whose maximum resident set size is the peak of
 *      the whole run (goal at 10⁶ × 30: under 400 MB).
 * Each measurement runs in its own process so that generating the file does not inflate it. The
 * CSV is generated streamed into a temporary directory and removed afterwards.
 *
 * Run: `npm run build && node dist/bench/ingestMemory.js [--rows N] [--cols D] [--condense-steps S] [--float32] [--workers W]`
 * (`--float32`: features stored as 32-bit floats, in the load and the condensation alike;
 * `--workers W` is passed to `condense`: its default starts a worker pool, whose threads add their
 * own memory, when a timed step is slow enough, which on a loaded machine it may be).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadCsvDataset } from '../node/bundled.js';
import { rowMajorRecords } from '../data/table.js';
import { argument, isEntryPoint, report } from './script.js';

const run = promisify(execFile);

export interface IngestMemoryResult {
  rows: number;
  features: number;
  /** Features stored as Float32Array (`--float32-features`) instead of Float64Array. */
  float32: boolean;
  fileBytes: number;
  typedArrayBytes: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  loadSeconds: number;
  missingCells: number;
  /** Peak RSS and wall time of a command-line condensation of the same file, if requested. */
  condense?: { steps: number; workers?: number; peakRssBytes: number; seconds: number };
  /** The machine's 1-, 5- and 15-minute load averages when the measurements were done. */
  loadAverage: number[];
}

/** xorshift32: a tiny deterministic stream for the generated values (no bearing on privacy). */
function makeRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A CSV of `rows` × `features` values in [0, 1000) (about 1 % missing) and a label, and its card. */
export async function writeWideCsv(csvPath: string, cardPath: string, rows: number, features: number): Promise<void> {
  const out = createWriteStream(csvPath);
  const random = makeRandom(12345);
  const header = [...Array.from({ length: features }, (_, j) => `x${j}`), 'y'].join(',') + '\n';
  out.write(header);
  let buffer = '';
  for (let i = 0; i < rows; i++) {
    const cells = new Array<string>(features + 1);
    for (let j = 0; j < features; j++) {
      const u = random();
      // About 1% missing cells, so the masks are exercised.
      cells[j] = u < 0.01 ? '' : (u * 1000).toFixed(3);
    }
    // The label depends on the first feature, so the learners have something to find.
    cells[features] = random() < (cells[0] === '' ? 0.3 : 0.1 + 0.4 * (Number(cells[0]) / 1000)) ? '1' : '0';
    buffer += cells.join(',') + '\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.write(buffer);
  out.end();
  await once(out, 'finish');
  writeFileSync(
    cardPath,
    JSON.stringify({
      name: 'wide',
      task: 'classification',
      label: 'y',
      positive: 1,
      features: Array.from({ length: features }, (_, j) => ({ name: `x${j}`, type: 'numeric', bounds: [0, 1000] })),
    }),
  );
}

/** Load `csvPath` in THIS process and measure it (the child side of `runIngestMemoryBench`). */
async function measureLoad(csvPath: string, cardPath: string, float32: boolean): Promise<Omit<IngestMemoryResult, 'condense' | 'loadAverage'>> {
  (globalThis as { gc?: () => void }).gc?.();
  const baselineRssBytes = process.memoryUsage().rss;
  const started = performance.now();
  const loaded = await loadCsvDataset(csvPath, cardPath, { keepBytes: false, featureStorage: float32 ? 'float32' : 'float64' });
  const loadSeconds = (performance.now() - started) / 1000;
  // maxRSS (kB) is the process high-water mark, so no peak between samples is missed.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const table = loaded.table;
  // An ingested table holds its feature values row-major; a column's `values` would be a copy.
  const records = rowMajorRecords(table);
  const valueBytes = records ? records.values.byteLength : table.features.reduce((s, c) => s + c.values.byteLength, 0);
  const typedArrayBytes = valueBytes + table.features.reduce((s, c) => s + c.missing.byteLength, 0) + (table.label?.byteLength ?? 0);
  const missingCells = Object.values(loaded.report.missing).reduce((a, b) => a + b, 0);
  return { rows: table.nRows, features: table.features.length, float32, fileBytes: statSync(csvPath).size, typedArrayBytes, baselineRssBytes, peakRssBytes, loadSeconds, missingCells };
}

/** Maximum resident set size and wall time of a command, from GNU time's verbose report. */
async function timeCommand(command: string, args: string[]): Promise<{ peakRssBytes: number; seconds: number }> {
  const started = performance.now();
  const { stderr } = await run('/usr/bin/time', ['-v', command, ...args], { maxBuffer: 1 << 24 });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!kb) throw new Error(`no maximum resident set size in /usr/bin/time output:\n${stderr}`);
  return { peakRssBytes: Number(kb[1]) * 1024, seconds: (performance.now() - started) / 1000 };
}

export async function runIngestMemoryBench(rows = 1_000_000, features = 30, condenseSteps = 0, float32 = false, workers?: number): Promise<IngestMemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dpcondense-ingest-'));
  try {
    const csvPath = join(dir, 'wide.csv');
    const cardPath = join(dir, 'wide.json');
    await writeWideCsv(csvPath, cardPath, rows, features);
    const self = fileURLToPath(import.meta.url);
    const { stdout } = await run(process.execPath, [self, '--load', csvPath, '--card', cardPath, ...(float32 ? ['--float32'] : [])], { maxBuffer: 1 << 20 });
    const result: IngestMemoryResult = JSON.parse(stdout);
    if (result.rows !== rows) throw new Error(`loaded ${result.rows} rows, expected ${rows}`);
    if (condenseSteps > 0) {
      if (!existsSync('/usr/bin/time')) throw new Error('the condensation memory check needs GNU time (/usr/bin/time; Debian package "time")');
      const cli = join(dirname(self), '..', 'cli', 'main.js');
      const out = join(dir, 'synthetic.csv');
      const args = [cli, 'condense', '--data', csvPath, '--card', cardPath, '--rows', '20', '--epsilon', '3', '--steps', String(condenseSteps), '--out', out, '--force', '--quiet'];
      if (float32) args.push('--float32-features');
      if (workers !== undefined) args.push('--workers', String(workers));
      result.condense = { steps: condenseSteps, workers, ...(await timeCommand(process.execPath, args)) };
    }
    result.loadAverage = loadavg();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MB = 1024 * 1024;

export function formatIngestMemoryResult(r: IngestMemoryResult): string {
  const ratio = (bytes: number) => (bytes / r.typedArrayBytes).toFixed(2);
  const lines = [
    `ingest memory: ${r.rows} rows x ${r.features} numeric features (${r.float32 ? 'float32' : 'float64'}) + label (${(r.fileBytes / MB).toFixed(0)} MB CSV, ${r.missingCells} missing cells)`,
    `  typed arrays (values + masks + label): ${(r.typedArrayBytes / MB).toFixed(1)} MB`,
    `  RSS of the fresh process before the load: ${(r.baselineRssBytes / MB).toFixed(1)} MB`,
    `  peak RSS:  ${(r.peakRssBytes / MB).toFixed(1)} MB = ${ratio(r.peakRssBytes)}x typed arrays (increase over the process baseline ${ratio(r.peakRssBytes - r.baselineRssBytes)}x; goal <= 1.5x)`,
    `  load time: ${r.loadSeconds.toFixed(2)} s (${((r.fileBytes / MB) / r.loadSeconds).toFixed(0)} MB/s)`,
  ];
  if (r.condense) {
    const workers = r.condense.workers === undefined ? '' : ` --workers ${r.condense.workers}`;
    lines.push(`  condense --steps ${r.condense.steps} --rows 20 --epsilon 3${workers} (CLI, whole run): peak RSS ${(r.condense.peakRssBytes / MB).toFixed(1)} MB, ${r.condense.seconds.toFixed(1)} s`);
  }
  lines.push(`  load average at the end: ${r.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const load = argument('--load');
  const float32 = process.argv.includes('--float32');
  report(
    load
      ? measureLoad(load, argument('--card')!, float32).then((r) => JSON.stringify(r))
      : runIngestMemoryBench(
          Number(argument('--rows') ?? 1_000_000),
          Number(argument('--cols') ?? 30),
          Number(argument('--condense-steps') ?? 0),
          float32,
          argument('--workers') === undefined ? undefined : Number(argument('--workers')),
        ).then(formatIngestMemoryResult),
  );
}
