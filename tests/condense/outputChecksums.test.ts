/**
 * Byte-identity guard: seeded condensation runs on all seven bundled datasets must produce exactly
 * the synthetic CSV, receipt and trace they produced when the checksums in
 * `tests/fixtures/checksums/condense.json` were captured (see the README next to it). Any change to
 * the engine that is meant to be behaviour-preserving must keep these; a change that alters outputs
 * on purpose updates the fixture in the same commit and says why.
 *
 * The cases are small (few rows, steps and directions) so the whole file runs in seconds, and they
 * cover both tasks, every learner, both accountants, both optimisers, every initialisation, both
 * encodings, DP feature bounds, optimised survival times, event times ordered by risk and the steps = 0
 * baseline.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { condense, type CondenseOptions } from '../../src/condense/condense.js';
import { formatTableCsv } from '../../src/data/format.js';
import { dataset } from './helpers.js';

const FIXTURE = new URL('../fixtures/checksums/condense.json', import.meta.url);
const UPDATE = process.env.UPDATE_CHECKSUMS === '1';

type Case = Omit<CondenseOptions, 'train' | 'inputFingerprint'> & { dataset: string; wholeTable?: boolean };

const CASES: Record<string, Case> = {
  'pima-cart': { dataset: 'pima', learners: ['cart'], rows: 20, epsilon: 3, steps: 6, directions: 4, batchSize: 64, seed: 1 },
  'pima-rf-real-rows-bounds': {
    dataset: 'pima', learners: [{ name: 'rf', params: { nTrees: 5 } }], rows: 12, epsilon: 2, steps: 3, directions: 2,
    initialisation: 'real-rows', encoding: 'bounds', smoothingDecay: 0.5, classBalance: 'proportional', seed: 8,
  },
  'wdbc-logistic-cart-adam': {
    dataset: 'wdbc', learners: ['logistic', { name: 'cart', params: { maxDepth: 3 } }], rows: 16, epsilon: 1, steps: 4, directions: 3,
    optimiser: 'adam', loss: 'cross-entropy', classWeighting: 'none', seed: 2,
  },
  'physionet2012-gbt-dp-bounds': {
    dataset: 'physionet2012', learners: [{ name: 'gbt', params: { nRounds: 3 } }], rows: 10, epsilon: 2, steps: 2, directions: 2, batchSize: 128, seed: 3,
  },
  'support-cox-pld': { dataset: 'support', learners: ['cox'], rows: 12, epsilon: 3, steps: 4, directions: 2, batchSize: 128, accountant: 'pld', seed: 4 },
  'metabric-rsf-times': {
    dataset: 'metabric', learners: [{ name: 'rsf', params: { nTrees: 3 } }], rows: 9, epsilon: 4, steps: 3, directions: 2, optimiseTimes: true, gridPoints: 5, seed: 5,
  },
  'rotterdam-survtree-uniform-nonprivate': {
    dataset: 'rotterdam', learners: ['survtree', 'cox'], rows: 12, epsilon: Infinity, steps: 3, directions: 2, initialisation: 'uniform', seed: 6,
  },
  'gbsg-cox-baseline': { dataset: 'gbsg', wholeTable: true, learners: ['cox'], rows: 12, epsilon: 1, steps: 0, seed: 7 },
  // Large enough that the table's own Cox risk reorders the event times (the survival default, `timeOrder`);
  // on the 9–12-row cases above it already agrees with the quantile order.
  'rotterdam-cox-time-order': { dataset: 'rotterdam', learners: ['cox'], rows: 24, epsilon: 3, steps: 4, directions: 2, seed: 9 },
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The receipt as written by the CLI, with the one field that varies between runs (the clock) fixed. */
function normalisedReceipt(receipt: unknown): string {
  return JSON.stringify({ ...(receipt as object), created_at: 'normalised' }, null, 2) + '\n';
}

async function checksums(c: Case): Promise<Record<string, string>> {
  const { dataset: name, wholeTable, ...options } = c;
  const data = await dataset(name);
  const result = await condense({ ...options, train: wholeTable ? data.table : data.train, inputFingerprint: data.sha256 });
  const trace = result.trace.map((t) => [t.step, t.loss, t.smoothedLoss, t.smoothing].join(',')).join('\n');
  return { csv: sha256(formatTableCsv(result.synthetic)), receipt: sha256(normalisedReceipt(result.receipt)), trace: sha256(trace) };
}

describe('seeded outputs are byte-identical to the pinned checksums', () => {
  const pinned: Record<string, Record<string, string>> = UPDATE ? {} : JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const computed: Record<string, Record<string, string>> = {};

  it('covers all seven bundled datasets', () => {
    expect(new Set(Object.values(CASES).map((c) => c.dataset))).toEqual(new Set(['pima', 'wdbc', 'physionet2012', 'support', 'metabric', 'rotterdam', 'gbsg']));
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      computed[name] = await checksums(c);
      if (UPDATE) {
        writeFileSync(FIXTURE, JSON.stringify(Object.fromEntries(Object.keys(CASES).filter((k) => computed[k]).map((k) => [k, computed[k]])), null, 2) + '\n');
      } else {
        expect(computed[name]).toEqual(pinned[name]);
      }
    });
  }
});
