import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellKey, type CellSpec } from '../../src/bench/experimentCells.js';
import { readCache, runCells } from '../../src/bench/experimentPool.js';
import { collect, formatCell } from '../../src/bench/experiments.js';

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
});
