import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCard } from '../../src/data/card.js';
import { formatTableCsv } from '../../src/data/format.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { featureView, forEachColumnBlock, negativeLabelOf, rowMajorRecords, splitTable, subsetTable, tableTarget, type Table } from '../../src/data/table.js';
import { cardAndTableArb } from './arbitraries.js';
import { classificationCard, classificationCsv, survivalCard, survivalCsv } from './helpers.js';

const { table } = readTableFromTextSync(classificationCsv(), classificationCard, { source: 't' });

function expectSameTable(a: Table, b: Table) {
  expect(b.nRows).toBe(a.nRows);
  a.features.forEach((column, f) => {
    expect(b.features[f].spec.name).toBe(column.spec.name);
    expect(Array.from(b.features[f].missing)).toEqual(Array.from(column.missing));
    expect(Array.from(b.features[f].values)).toEqual(Array.from(column.values)); // NaN equals NaN here
  });
  expect(b.label && Array.from(b.label)).toEqual(a.label && Array.from(a.label));
  expect(b.time && Array.from(b.time)).toEqual(a.time && Array.from(a.time));
  expect(b.event && Array.from(b.event)).toEqual(a.event && Array.from(a.event));
}

describe('table operations', () => {
  it('tableTarget shares the outcome arrays', () => {
    const t = tableTarget(table);
    expect(t.task).toBe('classification');
    if (t.task === 'classification') expect(t.y).toBe(table.label);
    const s = readTableFromTextSync(survivalCsv(), survivalCard, { source: 's' }).table;
    const st = tableTarget(s);
    expect(st.task === 'survival' && st.time === s.time && st.event === s.event).toBe(true);
  });

  it('subsetTable copies rows in the given order, with repeats', () => {
    const sub = subsetTable(table, [2, 0, 2]);
    expect(Array.from(sub.features[0].values)).toEqual([33, 50, 33]);
    expect(Array.from(sub.label!)).toEqual([0, 1, 0]);
    expect(sub.negativeLabel).toBe(0);
    expect(() => subsetTable(table, [3])).toThrow(/row index 3 is outside/);
  });

  it('splitTable: test in the given order, train = the rest in table order', () => {
    const { train, test } = splitTable(table, Int32Array.from([2, 0]));
    expect(Array.from(test.features[0].values)).toEqual([33, 50]);
    expect(Array.from(train.features[0].values)).toEqual([61.5]);
    expect(() => splitTable(table, [1, 1])).toThrow(/listed twice/);
  });

  it('an ingested table holds its features row-major; subsets keep that layout; featureView reads either layout in place', () => {
    const records = rowMajorRecords(table)!;
    expect(records.width).toBe(6);
    expect(Array.from(records.values.subarray(6, 12))).toEqual([61.5, 0, 1, 2, 2, NaN]);
    const sub = subsetTable(table, [2, 1, 2]);
    expect(rowMajorRecords(sub)?.values).toEqual(Float64Array.from([33, 10, 0, 1, 1, -3, 61.5, 0, 1, 2, 2, NaN, 33, 10, 0, 1, 1, -3]));
    const columns = subsetTable({ ...table, features: table.features.map((c) => ({ spec: c.spec, values: c.values, missing: c.missing })) }, [2, 1, 2]);
    expect(rowMajorRecords(columns)).toBeUndefined();
    expectSameTable(sub, columns);
    for (const t of [sub, columns]) {
      t.features.forEach((column) => {
        const { data, offset, stride } = featureView(column);
        expect(Array.from({ length: t.nRows }, (_, i) => data[offset + i * stride])).toEqual(Array.from(column.values));
      });
    }
    // A column's values are its own copy: writing to it leaves the table alone.
    table.features[0].values[0] = -1;
    expect(table.features[0].values[0]).toBe(50);
  });

  it('forEachColumnBlock meets every column in record order, in blocks for row-major records and at once for columns', () => {
    const { table: rows } = readTableFromTextSync(classificationCsv(Array.from({ length: 7 }, (_, i) => `${20 + i},${i},no,II,1,${i % 3 ? i / 4 : ''},${i % 2}`)), classificationCard, { source: 't' });
    const columns = { ...rows, features: rows.features.map((c) => ({ spec: c.spec, values: c.values, missing: c.missing })) };
    for (const [t, blockRows, visits] of [[rows, 3, 3], [rows, 7, 1], [columns, 3, 1]] as const) {
      const seen = t.features.map(() => [] as number[]);
      const starts: number[] = [];
      forEachColumnBlock(t, (start, count, blockColumns) => {
        starts.push(start);
        blockColumns.forEach((column, f) => {
          for (let i = 0; i < count; i++) seen[f].push(column[i]);
        });
      }, blockRows);
      expect(starts).toHaveLength(visits);
      t.features.forEach((column, f) => expect(seen[f]).toEqual(Array.from(column.values)));
    }
  });

  it('negativeLabelOf: the value seen, else the complement of the positive value', () => {
    expect(negativeLabelOf(table)).toBe(0);
    const synthetic = { ...table, negativeLabel: undefined };
    expect(negativeLabelOf(synthetic)).toBe(0);
    const yes = parseCard({ ...classificationCard, positive: 'Yes' });
    expect(negativeLabelOf({ ...synthetic, card: yes })).toBe('No');
    const dead = parseCard({ ...classificationCard, positive: 'dead' });
    expect(negativeLabelOf({ ...synthetic, card: dead })).toBe('not dead');
  });
});

describe('formatTableCsv', () => {
  it('writes card names, category labels, empty cells for missing, the user label codes', () => {
    const text = formatTableCsv(table);
    expect(text.split('\n')[0]).toBe('age,visits,smoker,stage,code,marker,outcome');
    expect(text.split('\n')[2]).toBe('61.5,0,yes,III,2,,0');
  });

  it('round-trips through readTableFromText (fast-check, both tasks, quoting, missing cells)', () => {
    fc.assert(
      fc.property(cardAndTableArb({ withMissing: true }), ({ card, table: generated }) => {
        const text = formatTableCsv(generated);
        const { table: back } = readTableFromTextSync(text, card, { source: 'round.csv' });
        expectSameTable(generated, back);
        if (card.task === 'classification') expect(back.negativeLabel).toBe('no');
      }),
      { numRuns: 200 },
    );
  });
});
