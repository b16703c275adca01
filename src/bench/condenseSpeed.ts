/**
 * Wall time of a whole condensation run, as a user would start it:
 * `dpcondense condense --dataset support --model cox --rows 50 --epsilon 3` (issue goal: < 2 min).
 * Uses the secure generator, exactly like the CLI; the median of a few runs is reported.
 */
import { loadBundledDataset } from '../node/bundled.js';
import { condense } from '../condense/condense.js';

export interface CondenseSpeedResult {
  dataset: string;
  trainingRows: number;
  rows: number;
  steps: number;
  seconds: number[];
  medianSeconds: number;
}

export async function runCondenseSpeedBench(repeats = 3, dataset = 'support'): Promise<CondenseSpeedResult> {
  const data = await loadBundledDataset(dataset);
  const seconds: number[] = [];
  let steps = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const result = await condense({ train: data.train, rows: 50, epsilon: 3, learners: ['cox'], inputFingerprint: data.sha256 });
    seconds.push((performance.now() - t0) / 1000);
    steps = result.settings.steps;
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  return { dataset, trainingRows: data.train.nRows, rows: 50, steps, seconds, medianSeconds: sorted[Math.floor(sorted.length / 2)] };
}

export function formatCondenseSpeed(r: CondenseSpeedResult): string {
  return (
    `condense --dataset ${r.dataset} --model cox --rows ${r.rows} --epsilon 3 (${r.trainingRows} training rows, ${r.steps} steps): ` +
    `median ${r.medianSeconds.toFixed(2)} s over ${r.seconds.length} runs (${r.seconds.map((s) => s.toFixed(2)).join(', ')}); goal < 120 s`
  );
}
