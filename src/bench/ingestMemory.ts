#!/usr/bin/env node
/**
 * Memory check for ingestion (issue "Foundation", item 6): a 1,000,000-row file with 30 numeric
 * feature columns (plus a 0/1 label column) must load without exceeding ~4x the size of the typed
 * arrays it becomes. Generates the CSV in a temporary directory (streamed, so generation itself
 * stays small), loads it with `loadCsvDataset` (streamed, bytes not kept), and prints peak RSS and
 * sampled peak heap against that size.
 *
 * Run: `npm run build && node dist/bench/ingestMemory.js [--rows N] [--cols D]`.
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCsvDataset } from '../node/bundled.js';

export interface IngestMemoryResult {
  rows: number;
  features: number;
  fileBytes: number;
  typedArrayBytes: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  peakHeapBytes: number;
  loadSeconds: number;
  missingCells: number;
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

async function writeCsv(path: string, rows: number, features: number): Promise<void> {
  const out = createWriteStream(path);
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
    cells[features] = random() < 0.3 ? '1' : '0';
    buffer += cells.join(',') + '\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.write(buffer);
  out.end();
  await once(out, 'finish');
}

export async function runIngestMemoryBench(rows = 1_000_000, features = 30): Promise<IngestMemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dpcondense-ingest-'));
  try {
    const csvPath = join(dir, 'wide.csv');
    const cardPath = join(dir, 'wide.json');
    await writeCsv(csvPath, rows, features);
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
    const fileBytes = statSync(csvPath).size;
    (globalThis as { gc?: () => void }).gc?.();
    const baselineRssBytes = process.memoryUsage().rss;
    let peakHeapBytes = process.memoryUsage().heapUsed;
    let peakRssSampled = baselineRssBytes;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      if (m.heapUsed > peakHeapBytes) peakHeapBytes = m.heapUsed;
      if (m.rss > peakRssSampled) peakRssSampled = m.rss;
    }, 20);
    const started = performance.now();
    const loaded = await loadCsvDataset(csvPath, cardPath, { keepBytes: false });
    const loadSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const end = process.memoryUsage();
    peakHeapBytes = Math.max(peakHeapBytes, end.heapUsed);
    // maxRSS (kB) is the process high-water mark, which also covers peaks between samples.
    const peakRssBytes = Math.max(peakRssSampled, process.resourceUsage().maxRSS * 1024);
    const n = loaded.table.nRows;
    const typedArrayBytes = loaded.table.features.reduce((s, c) => s + c.values.byteLength + c.missing.byteLength, 0) + (loaded.table.label?.byteLength ?? 0);
    const missingCells = Object.values(loaded.report.missing).reduce((a, b) => a + b, 0);
    if (n !== rows) throw new Error(`loaded ${n} rows, expected ${rows}`);
    return { rows: n, features, fileBytes, typedArrayBytes, baselineRssBytes, peakRssBytes, peakHeapBytes, loadSeconds, missingCells };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MB = 1024 * 1024;

export function formatIngestMemoryResult(r: IngestMemoryResult): string {
  const ratio = (bytes: number) => (bytes / r.typedArrayBytes).toFixed(2);
  return [
    `ingest memory: ${r.rows} rows x ${r.features} numeric features + label (${(r.fileBytes / MB).toFixed(0)} MB CSV, ${r.missingCells} missing cells)`,
    `  typed arrays (values + masks + label): ${(r.typedArrayBytes / MB).toFixed(1)} MB`,
    `  RSS before load: ${(r.baselineRssBytes / MB).toFixed(1)} MB`,
    `  peak RSS:  ${(r.peakRssBytes / MB).toFixed(1)} MB = ${ratio(r.peakRssBytes)}x typed arrays (increase over baseline ${ratio(r.peakRssBytes - r.baselineRssBytes)}x)`,
    `  peak heap: ${(r.peakHeapBytes / MB).toFixed(1)} MB = ${ratio(r.peakHeapBytes)}x typed arrays (sampled every 20 ms)`,
    `  load time: ${r.loadSeconds.toFixed(2)} s (${((r.fileBytes / MB) / r.loadSeconds).toFixed(0)} MB/s)`,
    `  target: peak RSS <= ~4x typed arrays: ${r.peakRssBytes <= 4 * r.typedArrayBytes ? 'met' : 'NOT met'}`,
  ].join('\n');
}

function isEntryPoint(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  runIngestMemoryBench(arg('--rows', 1_000_000), arg('--cols', 30)).then(
    (r) => console.log(formatIngestMemoryResult(r)),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
