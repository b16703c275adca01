#!/usr/bin/env node
/**
 * Step cost against the number of real records n at a fixed expected batch size: one generated
 * classification table of the largest n (30 numeric features, values in [0, 1000), label depending
 * on the first feature), and for each smaller n a view of its first n rows. For each n a seeded
 * `condense` (CART, m = 20, K = 16, expected batch 256, ε = 3) runs `steps` steps; the time per step
 * is taken from the progress callbacks after a warm-up of `warmup` steps, so the one-off private
 * statistics (a pass over all n records, charged once) are not counted. The sizes are visited in
 * turn for `rounds` rounds (a slow spell of the shared machine then hits every size) and the median
 * over rounds is reported. Goal: within 20 % from n = 10⁴ to 10⁷.
 *
 * Run: `npm run build && node dist/bench/stepCost.js [--max-n 10000000] [--rounds 3] [--steps 80]`.
 */
import { condense } from '../condense/condense.js';
import { parseCard } from '../data/card.js';
import type { FeatureColumn, Table } from '../data/table.js';
import { median } from './learnerEval.js';
import { argument, isEntryPoint, report } from './script.js';

export interface StepCostResult {
  n: number;
  /** Milliseconds per step, one per round. */
  roundsMs: number[];
  medianMs: number;
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
  const values = card.features.map(() => new Float64Array(n));
  for (const column of values) for (let i = 0; i < n; i++) column[i] = 1000 * random();
  const label = new Uint8Array(n);
  for (let i = 0; i < n; i++) label[i] = random() < 0.1 + 0.4 * (values[0][i] / 1000) ? 1 : 0;
  const noMissing = new Uint8Array(n);
  return {
    rowsOf: (k) => ({
      card,
      nRows: k,
      features: card.features.map((spec, j): FeatureColumn => ({ spec, values: values[j].subarray(0, k), missing: noMissing.subarray(0, k) })),
      label: label.subarray(0, k),
    }),
  };
}

async function msPerStep(train: Table, steps: number, warmup: number, seed: number): Promise<number> {
  let startedAt = 0;
  let endedAt = 0;
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
      if (p.step === warmup) startedAt = performance.now();
      if (p.step === steps) endedAt = performance.now();
    },
  });
  return (endedAt - startedAt) / (steps - warmup);
}

export async function runStepCostBench(sizes: number[], rounds = 3, steps = 80, warmup = 20): Promise<StepCostResult[]> {
  const table = generatedTable(Math.max(...sizes));
  const perSize = sizes.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < sizes.length; s++) perSize[s].push(await msPerStep(table.rowsOf(sizes[s]), steps, warmup, round + 1));
  }
  return sizes.map((n, s) => ({ n, roundsMs: perSize[s], medianMs: median(perSize[s]) }));
}

export function formatStepCost(results: StepCostResult[]): string {
  const lines = ['Step cost vs n (CART, m = 20, K = 16, expected batch 256; ms per step, median over rounds [per round]):'];
  for (const r of results) lines.push(`  n = ${r.n.toExponential(0).padEnd(6)} ${r.medianMs.toFixed(3).padStart(8)} ms  [${r.roundsMs.map((x) => x.toFixed(3)).join(' ')}]`);
  const at = (n: number) => results.find((r) => r.n === n)?.medianMs;
  const small = at(1e4);
  const large = at(Math.max(...results.map((r) => r.n)));
  if (small !== undefined && large !== undefined) {
    const change = (large / small - 1) * 100;
    lines.push(`  largest n vs n = 1e4: ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (goal: within 20 %)`);
  }
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const value = (name: string, fallback: number) => Number(argument(name) ?? fallback);
  const sizes = [1e3, 1e4, 1e5, 1e6, 1e7].filter((n) => n <= value('--max-n', 1e7));
  report(runStepCostBench(sizes, value('--rounds', 3), value('--steps', 80), value('--warmup', 20)).then(formatStepCost));
}
