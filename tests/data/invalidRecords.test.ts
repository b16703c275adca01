/**
 * `onInvalid`: what an invalid record does when the input is read. `error` stops at it (naming
 * file, row and column); `clamp` clamps values outside the card's bounds and drops records that no
 * clamp can repair; `drop` drops every invalid record. Clamp and drop act on each record alone: a
 * file with an invalid record reads exactly as the file without it (drop), or as the file with
 * that record clamped (clamp) — no count or order effect on the other records.
 */
import { describe, expect, it } from 'vitest';
import type { DatasetCard } from '../../src/data/card.js';
import { DataError } from '../../src/data/errors.js';
import { readTableFromTextSync, type InvalidRecordPolicy } from '../../src/data/ingest.js';
import type { Table } from '../../src/data/table.js';

const card: DatasetCard = {
  name: 'clinic',
  task: 'classification',
  label: 'outcome',
  positive: 'yes',
  features: [
    { name: 'age', type: 'integer', bounds: [18, 100] },
    { name: 'bp', type: 'numeric', bounds: [60, 220] },
    { name: 'sex', type: 'binary', categories: ['f', 'm'] },
  ],
};
const withNegative: DatasetCard = { ...card, negative: 'no' } as DatasetCard;

const survival: DatasetCard = {
  name: 'follow-up',
  task: 'survival',
  time: 'time',
  event: 'event',
  features: [{ name: 'age', type: 'integer', bounds: [18, 100] }],
};

const header = 'age,bp,sex,outcome';
const valid = ['40,120.5,f,yes', '63,,m,no', '55,140,NA,no', '71,180,m,yes'];

function read(lines: string[], onInvalid?: InvalidRecordPolicy, c: DatasetCard = card) {
  return readTableFromTextSync([c.task === 'classification' ? header : 'age,time,event', ...lines].join('\n') + '\n', c, { source: 'in.csv', onInvalid });
}

/** Everything a table holds, as plain arrays (for exact comparison). */
function contents(table: Table) {
  return {
    nRows: table.nRows,
    features: table.features.map((f) => ({ values: [...f.values], missing: [...f.missing] })),
    label: table.label && [...table.label],
    time: table.time && [...table.time],
    event: table.event && [...table.event],
  };
}

describe('--on-invalid', () => {
  it('error (the default) stops at the first invalid record, naming file, row and column', () => {
    const error = (() => {
      try {
        read([valid[0], '30,400,f,no', valid[1]]);
      } catch (e) {
        return e as DataError;
      }
    })();
    expect(error).toBeInstanceOf(DataError);
    expect(error!.message).toMatch(/in\.csv/);
    expect(error!.message).toMatch(/row 2/);
    expect(error!.message).toMatch(/bp/);
    expect(error!.message).toMatch(/--on-invalid clamp\|drop/);
    expect(read(valid).report.dropped).toBe(0);
  });

  it('drop: a file with invalid records reads exactly as the file without them (counts included)', () => {
    const invalid = [
      '30,400,f,no', // out of bounds
      '30,abc,NA,yes', // not a number (and a missing token that must not be counted)
      '30.5,100,f,no', // not an integer
      '30,100,x,no', // not a category
      '30,100,f,NA', // missing label
    ];
    const clean = read(valid, 'drop');
    const dirty = read([invalid[0], valid[0], invalid[1], valid[1], invalid[2], valid[2], invalid[3], valid[3], invalid[4]], 'drop');
    expect(contents(dirty.table)).toEqual(contents(clean.table));
    expect(dirty.report.missing).toEqual(clean.report.missing);
    expect(dirty.report.missingTokens).toEqual(clean.report.missingTokens);
    expect(dirty.report.clamped).toEqual({});
    expect(dirty.report.dropped).toBe(5);
    expect(dirty.report.onInvalid).toBe('drop');
  });

  it('clamp: out-of-bounds values are clamped to the card bounds; unrepairable records are dropped', () => {
    const { table, report } = read([valid[0], '10,400,m,no', '30,abc,f,yes', valid[1]], 'clamp');
    expect(table.nRows).toBe(3);
    expect(table.features[0].values[1]).toBe(18);
    expect(table.features[1].values[1]).toBe(220);
    expect(report.clamped).toEqual({ age: 1, bp: 1 });
    expect(report.dropped).toBe(1);
    // Clamping is what the older flag did.
    const old = readTableFromTextSync([header, valid[0], '10,400,m,no'].join('\n'), card, { source: 'in.csv', clampToBounds: true });
    expect(contents(old.table)).toEqual(contents(read([valid[0], '10,400,m,no'], 'clamp').table));
  });

  it('a third label value is dropped record by record only when the card names the negative class', () => {
    const lines = [valid[0], '45,100,f,maybe', valid[1]];
    expect(() => read(lines, 'drop')).toThrow(/third label value.*"negative"/);
    const { table, report } = read(lines, 'drop', withNegative);
    expect(table.nRows).toBe(2);
    expect(report.dropped).toBe(1);
    expect([...table.label!]).toEqual([1, 0]);
    // Error mode names the two card values.
    expect(() => read(lines, 'error', withNegative)).toThrow(/neither the positive \("yes"\) nor the negative \("no"\)/);
  });

  it('survival: records with an invalid time or event are dropped; file-level checks stay errors', () => {
    const ok = ['40,12.5,1', '50,3,0'];
    const clean = read(ok, 'drop', survival);
    const dirty = read(['40,-1,1', ok[0], '60,5,2', ok[1], '70,NA,0'], 'drop', survival);
    expect(contents(dirty.table)).toEqual(contents(clean.table));
    expect(dirty.report.dropped).toBe(3);
    // No event left after dropping: the custodian-side check still refuses the file.
    expect(() => read(['40,2,0', '50,3,2'], 'drop', survival)).toThrow(/no event/);
    // Structural faults are errors in every mode.
    expect(() => read(['40,2', ok[0]], 'drop', survival)).toThrow(/fields/);
  });
});
