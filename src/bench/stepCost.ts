#!/usr/bin/env node
/**
 * Step cost against the number of real records n at a fixed expected batch size: one generated
 * classification table of the largest n (30 numeric features, values in [0, 1000), label depending
 * on the first feature), stored row-major as ingestion stores a file, and for each smaller n a view
 * of its first n rows. For each n a seeded
 * `condense` (CART, m = 20, K = 16, expected batch 256, ε = 3) runs `steps` steps; the time per step
 * is taken from the progress callbacks after a warm-up of `warmup` steps, so the one-off private
 * statistics (a pass over all n records, charged once) are not counted. The sizes are visited in
 * turn for `rounds` rounds (a slow spell of the shared machine then hits every size) and the median
 * over rounds is reported, as wall-clock and as CPU time per step (the latter is what to compare on
 * a loaded machine). Goal: within 20 % from n = 10⁴ to 10⁷.
 *
 * Run: `npm run build && node dist/bench/stepCost.js [--max-n 10000000 | --sizes 1e4,1e7] [--rounds 3] [--steps 80] [--warmup 20]`
 * (the 10⁷-row table takes about 2.5 GB of memory).
 */
import { loadavg } from 'node:os';
import { condense } from '../condense/condense.js';
import { parseCard } from '../data/card.js';
import { recordColumns, type Table } from '../data/table.js';
import { median } from './learnerEval.js';
import { argument, isEntryPoint, report } from './script.js';

export interface StepCostResult {
  n: number;
  /** Milliseconds per step (wall clock), one per round. */
  roundsMs: number[];
  medianMs: number;
  /**
   * CPU milliseconds per step (user + system time of the whole process, GC threads included), one
   * per round: on a shared, loaded machine the wall clock also counts time the process waited for a
   * core, CPU time does not (stalls on memory still count).
   */
  roundsCpuMs: number[];
  medianCpuMs: number;
}

const FEATURES = 30;

/** A classification table of n rows; `rowsOf(k)` views its first k rows without copying. */
function generatedTable(n: number): { rowsOf: (k: number) => Table } {
  const card = parseCard({
    name: 'generated',
    task: 'classification',
    label: 'y',
    positive: 1,
    features: Array.from({ length: FEATURES }, (_, j) => ({ name: `x${j}`, type: 'numeric', bounds: [0, 1000] })),
  });
  let state = 2463534242;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  // Drawn column by column (the order of the draws of earlier versions, so the same values).
  const values = new Float64Array(n * FEATURES);
  for (let j = 0; j < FEATURES; j++) for (let i = 0; i < n; i++) values[i * FEATURES + j] = 1000 * random();
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) label[i] = random() < 0.1 + 0.4 * (values[i * FEATURES] / 1000) ? 1 : 0;
  const noMissing = new Uint8Array(n);
  return {
    rowsOf: (k) => {
      const records = { values: values.subarray(0, k * FEATURES), width: FEATURES };
      const masks = card.features.map(() => noMissing.subarray(0, k));
      return { card, nRows: k, features: recordColumns(card.features, records, masks), label: label.subarray(0, k) };
    },
  };
}

async function msPerStep(train: Table, steps: number, warmup: number, seed: number): Promise<{ wall: number; cpu: number }> {
  let startedAt = 0;
  let endedAt = 0;
  let cpuStart = { user: 0, system: 0 };
  let cpuUsed = { user: 0, system: 0 };
  await condense({
    train,
    rows: 20,
    epsilon: 3,
    steps,
    directions: 16,
    batchSize: 256,
    learners: ['cart'],
    seed,
    onProgress: (p) => {
      if (p.step === warmup) {
        startedAt = performance.now();
        cpuStart = process.cpuUsage();
      }
      if (p.step === steps) {
        endedAt = performance.now();
        cpuUsed = process.cpuUsage(cpuStart);
      }
    },
  });
  return { wall: (endedAt - startedAt) / (steps - warmup), cpu: (cpuUsed.user + cpuUsed.system) / 1000 / (steps - warmup) };
}

export async function runStepCostBench(sizes: number[], rounds = 3, steps = 80, warmup = 20): Promise<StepCostResult[]> {
  const table = generatedTable(Math.max(...sizes));
  const wall = sizes.map(() => [] as number[]);
  const cpu = sizes.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < sizes.length; s++) {
      const measured = await msPerStep(table.rowsOf(sizes[s]), steps, warmup, round + 1);
      wall[s].push(measured.wall);
      cpu[s].push(measured.cpu);
    }
  }
  return sizes.map((n, s) => ({ n, roundsMs: wall[s], medianMs: median(wall[s]), roundsCpuMs: cpu[s], medianCpuMs: median(cpu[s]) }));
}

export function formatStepCost(results: StepCostResult[]): string {
  const rounds = (values: number[]) => values.map((x) => x.toFixed(3)).join(' ');
  const lines = [
    `Step cost vs n (CART, m = 20, K = 16, expected batch 256; ms per step, median over rounds [per round]; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the end):`,
  ];
  for (const r of results) {
    lines.push(`  n = ${r.n.toExponential(0).padEnd(6)} wall ${r.medianMs.toFixed(3).padStart(8)} ms [${rounds(r.roundsMs)}]   cpu ${r.medianCpuMs.toFixed(3).padStart(8)} ms [${rounds(r.roundsCpuMs)}]`);
  }
  const at = (n: number) => results.find((r) => r.n === n);
  const small = at(1e4);
  const large = at(Math.max(...results.map((r) => r.n)));
  if (small && large && large !== small) {
    const change = (a: number, b: number) => {
      const c = (b / a - 1) * 100;
      return `${c >= 0 ? '+' : ''}${c.toFixed(1)} %`;
    };
    lines.push(`  n = ${large.n.toExponential(0)} vs n = 1e4: wall ${change(small.medianMs, large.medianMs)}, cpu ${change(small.medianCpuMs, large.medianCpuMs)} (goal: within 20 %)`);
  }
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const value = (name: string, fallback: number) => Number(argument(name) ?? fallback);
  const listed = argument('--sizes');
  const sizes = listed ? listed.split(',').map(Number) : [1e3, 1e4, 1e5, 1e6, 1e7].filter((n) => n <= value('--max-n', 1e7));
  if (!sizes.every((n) => Number.isInteger(n) && n >= 300)) throw new Error(`--sizes: integers of at least 300 expected (got ${listed})`);
  report(runStepCostBench(sizes, value('--rounds', 3), value('--steps', 80), value('--warmup', 20)).then(formatStepCost));
}
