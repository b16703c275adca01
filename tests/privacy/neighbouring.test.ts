/**
 * The neighbouring-dataset test: every charged mechanism's output is replaced by a fixed value (a
 * test double at the mechanism boundary, `addGaussianNoise`, through which every noisy release of
 * the project passes), then runs on D and on D minus one record must produce byte-identical
 * outputs — table, receipt, trace, progress, and (through the CLI) stdout and stderr. Any
 * difference is a path from the data to the output that no mechanism noised.
 *
 * The fixed values are those the mechanisms released on D (recorded on the first run, replayed on
 * the others), so the runs are realistic. Public randomness is seeded so both runs draw the same
 * directions; the clock is frozen so progress timing is the same (timing is outside the privacy
 * model, and is never written to a file).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { condense, type CondenseProgress } from '../../src/condense/condense.js';
import { formatTableCsv } from '../../src/data/format.js';
import { subsetTable, type Table } from '../../src/data/table.js';
import { main } from '../../src/cli/main.js';
import { loadBundledDataset, DATASETS_DIR } from '../../src/node/bundled.js';

const double = vi.hoisted(() => ({ mode: 'off' as 'off' | 'record' | 'replay', outputs: [] as Float64Array[], next: 0, choices: [] as number[], nextChoice: 0 }));

vi.mock('../../src/privacy/random.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/privacy/random.js')>();
  return {
    ...actual,
    addGaussianNoise(values: Float64Array, sigma: number, rng: Parameters<typeof actual.addGaussianNoise>[2]) {
      if (double.mode === 'replay') {
        const fixed = double.outputs[double.next++];
        if (!fixed || fixed.length !== values.length) throw new Error(`mechanism output ${double.next - 1}: shape differs from the recorded run`);
        values.set(fixed);
        return values;
      }
      actual.addGaussianNoise(values, sigma, rng);
      if (double.mode === 'record') double.outputs.push(values.slice());
      return values;
    },
    // The exponential mechanism (the release selection): its output is the chosen index.
    exponentialMechanismIndex(...args: Parameters<typeof actual.exponentialMechanismIndex>) {
      const chosen = actual.exponentialMechanismIndex(...args);
      if (double.mode === 'replay') return double.choices[double.nextChoice++];
      if (double.mode === 'record') double.choices.push(chosen);
      return chosen;
    },
  };
});

function record(): void {
  Object.assign(double, { mode: 'record', outputs: [], next: 0, choices: [], nextChoice: 0 });
}

function replay(): void {
  Object.assign(double, { mode: 'replay', next: 0, nextChoice: 0 });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
  double.mode = 'off';
});

function withoutRecord(table: Table, removed: number): Table {
  return subsetTable(table, Int32Array.from({ length: table.nRows - 1 }, (_, i) => (i < removed ? i : i + 1)));
}

/** Everything a library run outputs, as text. */
async function outputsOf(
  train: Table,
  options: { rows: number; learners?: string[]; selectionShare?: number; dataRanges?: boolean; rangesShare?: number; momentsClip?: number; iterateAverage?: 'tail'; featureFocus?: number; focusedMomentsShare?: number; presenceCounts?: 'pooled' | 'count'; initialDraws?: 'stratified' },
): Promise<Record<string, string>> {
  const progress: CondenseProgress[] = [];
  const result = await condense({ train, epsilon: 3, seed: 9, steps: 6, directions: 2, batchSize: 64, ...options, onProgress: (p) => progress.push(p) });
  return {
    table: formatTableCsv(result.synthetic),
    receipt: JSON.stringify(result.receipt),
    trace: JSON.stringify(result.trace),
    progress: JSON.stringify(progress),
  };
}

describe('neighbouring datasets, with every mechanism output fixed, give byte-identical outputs', () => {
  it.each([
    ['pima', 20, 0, {}],
    ['rotterdam', 12, 0, {}],
    ['physionet2012', 10, 0, {}],
    ['pima', 20, 0.1, {}],
    ['rotterdam', 12, 0.1, {}],
    ['pima', 20, 0, { dataRanges: true, momentsClip: 0.7 }],
    // The loose-bounds histogram (which bounds it narrows, and the records it compares with, are read off its released counts).
    ['wdbc', 20, 0, { rangesShare: 0.25 }],
    // The averaged iterates, released directly and as the selection's last candidate.
    ['rotterdam', 12, 0.1, { iterateAverage: 'tail' as const }],
    // The focused steps (the kept set, listed in the receipt, is chosen from the released moments).
    ['pima', 20, 0.1, { featureFocus: 3 }],
    ['physionet2012', 10, 0, { featureFocus: 30 }],
    // The focused second moments measurement (its features are the kept set, chosen from released moments).
    ['pima', 20, 0.1, { featureFocus: 3, focusedMomentsShare: 0.5 }],
    ['physionet2012', 10, 0, { featureFocus: 30, focusedMomentsShare: 0.5 }],
    // The pooled record counts (which columns look complete is read off the released sums).
    ['pima', 20, 0, { presenceCounts: 'pooled' as const }],
    ['rotterdam', 12, 0, { presenceCounts: 'pooled' as const }],
    ['pima', 20, 0, { presenceCounts: 'count' as const }],
    // The Latin hypercube start (its slices come from the released moments and the public generator).
    ['rotterdam', 12, 0, { initialDraws: 'stratified' as const }],
  ])('%s (library, m = %i, selection share %s, %j)', async (name, rows, selectionShare, extra) => {
    const { train } = await loadBundledDataset(name);
    record();
    const reference = await outputsOf(train, { rows, selectionShare, ...extra });
    expect(double.outputs.length).toBeGreaterThan(6); // preprocessing queries + one per step
    expect(double.choices.length).toBe(selectionShare > 0 ? 2 : 0); // the start, the release
    for (const removed of [0, Math.floor(train.nRows / 2), train.nRows - 1]) {
      replay();
      const neighbour = await outputsOf(withoutRecord(train, removed), { rows, selectionShare, ...extra });
      expect(double.next, 'same number of mechanism releases').toBe(double.outputs.length);
      expect(double.nextChoice, 'same number of selections').toBe(double.choices.length);
      for (const key of Object.keys(reference)) expect(neighbour[key], `${key}, without record ${removed}`).toBe(reference[key]);
    }
  });

  describe('through the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-neighbour-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function cli(argv: string[]): Promise<Record<string, string>> {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
      expect(code, stderr).toBe(0);
      const read = (file: string) => readFileSync(join(dir, file), 'utf8');
      const receipt = JSON.parse(read('out.receipt.json'));
      // The input's identifier is an HMAC under the custodian's secret key: a pseudorandom value to
      // anyone without the key (the key itself is in no output). It identifies the input, so it
      // differs by design; everything else must not.
      expect(receipt.input_fingerprint.algorithm).toBe('HMAC-SHA-256');
      receipt.input_fingerprint.hex = '(keyed)';
      return { stdout, stderr, table: read('out.csv'), receipt: JSON.stringify(receipt), trace: read('trace.csv') };
    }

    it('pima as a user CSV: CSV, receipt, trace, stdout and stderr', async () => {
      const csv = readFileSync(join(DATASETS_DIR, 'pima.csv'), 'utf8').trimEnd().split('\n');
      writeFileSync(join(dir, 'card.json'), readFileSync(join(DATASETS_DIR, 'pima.json')));
      const key = join(dir, 'secret.key');
      writeFileSync(key, 'ab'.repeat(32));
      const argv = ['condense', '--data', join(dir, 'data.csv'), '--card', join(dir, 'card.json'), '--out', join(dir, 'out.csv'), '--trace', join(dir, 'trace.csv'),
        '--fingerprint-key', key, '--rows', '20', '--epsilon', '3', '--seed', '4', '--steps', '6', '--directions', '2', '--batch-size', '64', '--force'];
      writeFileSync(join(dir, 'data.csv'), csv.join('\n') + '\n');
      record();
      const reference = await cli(argv);
      expect(reference.stderr).toMatch(/step 6\/6/);
      for (const removed of [1, 300, csv.length - 1]) {
        writeFileSync(join(dir, 'data.csv'), csv.filter((_, i) => i !== removed).join('\n') + '\n');
        replay();
        const neighbour = await cli(argv);
        for (const key of Object.keys(reference)) expect(neighbour[key], `${key}, without data line ${removed}`).toBe(reference[key]);
      }
      const everything = Object.values(reference).join('\n');
      expect(everything).not.toContain('ab'.repeat(32));
    });

    // An invalid record (outside the card's bounds, or unreadable) present vs absent is a pair of
    // neighbouring inputs: with clamp or drop the outputs must not tell them apart, and no output
    // says how many records were clamped or dropped, or quotes their values.
    it.each([
      ['clamp', '7,9999.5,72.0,35.0,,33.6,0.627,50,1'],
      ['drop', '7,9999.5,72.0,35.0,,33.6,0.627,50,1'],
      ['drop', '7,x1.5,72.0,35.0,,33.6,0.627,50,1'],
    ])('--on-invalid %s: a record %s present or absent gives byte-identical outputs', async (policy, invalid) => {
      const csv = readFileSync(join(DATASETS_DIR, 'pima.csv'), 'utf8').trimEnd().split('\n');
      writeFileSync(join(dir, 'card.json'), readFileSync(join(DATASETS_DIR, 'pima.json')));
      const key = join(dir, 'secret.key');
      writeFileSync(key, 'cd'.repeat(32));
      const argv = ['condense', '--data', join(dir, 'data.csv'), '--card', join(dir, 'card.json'), '--out', join(dir, 'out.csv'), '--trace', join(dir, 'trace.csv'),
        '--fingerprint-key', key, '--on-invalid', policy, '--rows', '20', '--epsilon', '3', '--seed', '4', '--steps', '6', '--directions', '2', '--batch-size', '64', '--force'];
      writeFileSync(join(dir, 'data.csv'), csv.join('\n') + '\n');
      record();
      const reference = await cli(argv);
      expect(JSON.parse(reference.receipt).parameters.onInvalid).toBe(policy);
      writeFileSync(join(dir, 'data.csv'), [...csv.slice(0, 200), invalid, ...csv.slice(200)].join('\n') + '\n');
      replay();
      const neighbour = await cli(argv);
      for (const name of Object.keys(reference)) expect(neighbour[name], `${name}, with the invalid record`).toBe(reference[name]);
      const said = neighbour.stdout + neighbour.stderr;
      expect(said).not.toMatch(/9999|x1\.5|clamp|drop/i);
    });
  });
});
