import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellKey, type CellSpec } from '../../src/bench/experimentCells.js';
import { AffinityQueues, readCache, runCells } from '../../src/bench/experimentPool.js';
import { collect, formatCell, main } from '../../src/bench/experiments.js';

const spec = (seed: number, method = 'random'): CellSpec => ({
  dataset: 'pima', method, epsilon: null, rows: 20, seed, model: [], evalLearners: ['logistic'], settings: {}, external: false,
});

describe('experiment cells', () => {
  it('keys do not depend on the order of the settings and spell out Infinity', () => {
    const a = cellKey({ ...spec(1), settings: { steps: 3, directions: 4 }, epsilon: Infinity });
    const b = cellKey({ ...spec(1), settings: { directions: 4, steps: 3 }, epsilon: Infinity });
    expect(a).toBe(b);
    expect(a).toContain('"inf"');
    expect(cellKey(spec(2))).not.toBe(cellKey(spec(1)));
  });

  it('caches finished cells and does not rerun them', async () => {
    const cachePath = join(mkdtempSync(join(tmpdir(), 'cells-')), 'cells.jsonl');
    const seen: boolean[] = [];
    const first = await runCells([spec(1), spec(2)], { workers: 1, cachePath, onResult: (_, __, ___, cached) => seen.push(cached) });
    expect(seen).toEqual([false, false]);
    expect(readFileSync(cachePath, 'utf8').trim().split('\n')).toHaveLength(2);
    // An interrupted append leaves a partial last line: it is ignored and that cell reruns.
    writeFileSync(cachePath, readFileSync(cachePath, 'utf8') + '{"key":');
    expect(readCache(cachePath).size).toBe(2);
    seen.length = 0;
    const second = await runCells([spec(1), spec(2), spec(3)], { workers: 1, cachePath, onResult: (_, __, ___, cached) => seen.push(cached) });
    expect(seen).toEqual([true, true, false]);
    expect(readCache(cachePath).size).toBe(3);
    expect(second.slice(0, 2).map((r) => r.scores.logistic)).toEqual(first.map((r) => r.scores.logistic));
    const [cell] = collect(second);
    expect(cell.values).toHaveLength(3);
    expect(formatCell([0.5, 0.7], true)).toBe('0.600 ± 0.141 (worst 0.500)');
  });

  it('--first-seed runs seeds first..first + seeds − 1 under the cells\' usual keys (so a cache of --seeds n serves them)', async () => {
    const cachePath = join(mkdtempSync(join(tmpdir(), 'cells-')), 'cells.jsonl');
    const quiet = { log: console.log, write: process.stderr.write };
    console.log = () => {};
    process.stderr.write = () => true;
    try {
      await main(['--datasets', 'pima', '--methods', 'random', '--eval', 'logistic', '--workers', '1', '--first-seed', '3', '--seeds', '2', '--cache', cachePath]);
    } finally {
      console.log = quiet.log;
      process.stderr.write = quiet.write;
    }
    const cached = [...readCache(cachePath).values()];
    expect(cached.map((r) => r.spec.seed).sort()).toEqual([3, 4]);
    expect(cached.map((r) => r.key).sort()).toEqual([3, 4].map((seed) => cellKey({ ...spec(seed), evalLearners: ['logistic'] })));
    await expect(main(['--datasets', 'pima', '--methods', 'random', '--first-seed', '0'])).rejects.toThrow(/first-seed/);
  });

  it('start longest-expected-first (public cost guess), ties in grid order, each dataset on one worker', async () => {
    const profile = async (name: string) => ({ csvBytes: name === 'big' ? 600_000 : 30_000, features: 10, survival: name === 'big' });
    const cells: CellSpec[] = [
      { ...spec(1, 'random'), dataset: 'small' },
      { ...spec(1, 'dpcondense'), dataset: 'small', epsilon: 3, model: ['logistic'] },
      { ...spec(1, 'mst'), dataset: 'big', epsilon: 3 },
      { ...spec(1, 'dpcondense'), dataset: 'big', epsilon: 3, model: ['cox'] },
      { ...spec(2, 'random'), dataset: 'small' },
      { ...spec(1, 'dpcondense'), dataset: 'small', epsilon: 3, model: ['logistic'], settings: { steps: 3 } },
    ];
    // The big survival condensation, MST on the big file, the small condensation, the random subsets
    // (in grid order), and last the 3-step condensation.
    expect((await AffinityQueues.plan(cells, [0, 1, 2, 3, 4, 5], 1, profile)).queued).toEqual([[3, 2, 1, 0, 4, 5]]);
    // Only pending cells are scheduled.
    expect((await AffinityQueues.plan(cells, [0, 2, 4], 1, profile)).queued).toEqual([[2, 0, 4]]);
    // Two workers: each dataset on one of them (the big one's cells expected longer in total), and
    // a worker with an empty queue takes the longest cell left on the other.
    const queues = await AffinityQueues.plan(cells, [0, 1, 2, 3, 4, 5], 2, profile);
    expect(queues.queued).toEqual([[3, 2], [1, 0, 4, 5]]);
    expect([1, 1, 1, 1, 1, 0, 1].map((w) => queues.next(w))).toEqual([1, 0, 4, 5, 3, 2, undefined]);
  });

  it('threads holding copies of the queues claim every cell exactly once', async () => {
    const profile = async (name: string) => ({ csvBytes: name === 'big' ? 600_000 : 30_000, features: 10, survival: false });
    const cells = Array.from({ length: 9 }, (_, i): CellSpec => ({ ...spec(i + 1, i % 3 ? 'random' : 'kmeans'), dataset: i < 4 ? 'big' : 'small' }));
    const here = await AffinityQueues.plan(cells, [0, 1, 2, 3, 4, 5, 6, 7, 8], 2, profile);
    const there = AffinityQueues.fromState(here.state);
    const taken: number[] = [];
    // The other thread takes three cells for each one here: it empties its queue, then takes from ours.
    for (let step = 0; step < 100; step++) {
      const cell = step % 4 === 0 ? here.next(0) : there.next(1);
      if (cell !== undefined) taken.push(cell);
    }
    expect([here.next(0), there.next(1)]).toEqual([undefined, undefined]);
    expect([...taken].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('on 2 threads (this one and a worker thread) returns every result in grid order, as inline', async () => {
    // Worker threads run the compiled scripts, so the pool is imported from dist/ (built by npm ci).
    const pool: typeof import('../../src/bench/experimentPool.js') = await import(new URL('../../dist/bench/experimentPool.js', import.meta.url).href);
    const cells = [spec(1, 'kmeans'), spec(2), spec(3, 'kmeans'), spec(4)];
    let summaries: { cells: number }[] = [];
    const pooled = await pool.runCells(cells, { workers: 2, onWorkersDone: (s) => (summaries = s) });
    const inline = await runCells(cells, { workers: 1 });
    expect(pooled.map((r) => r.key)).toEqual(cells.map(cellKey));
    expect(pooled.map((r) => r.scores)).toEqual(inline.map((r) => r.scores));
    expect(summaries.map((s) => s.cells).reduce((a, b) => a + b, 0)).toBe(cells.length);
  });
});
