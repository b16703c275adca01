import { describe, expect, it } from 'vitest';
import { parseCard } from '../../src/data/card.js';
import { DataError } from '../../src/data/errors.js';
import { readTable, readTableFromText, readTableFromTextSync } from '../../src/data/ingest.js';
import { classificationCard, classificationCsv, CLASSIFICATION_HEADER, survivalCard, survivalCsv } from './helpers.js';

const SOURCE = 'toy.csv';

/** The DataError thrown by parsing `text`, with its location fields. */
function errorOf(text: string, card = classificationCard, clampToBounds = false): DataError {
  try {
    readTableFromTextSync(text, card, { source: SOURCE, clampToBounds });
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

describe('readTableFromText: valid input', () => {
  it('stores values columnar: numbers, level indices, NaN plus mask for missing', async () => {
    const { table, report } = await readTableFromText(classificationCsv(), classificationCard, { source: SOURCE });
    expect(table.nRows).toBe(3);
    const byName = Object.fromEntries(table.features.map((c) => [c.spec.name, c]));
    expect(Array.from(byName.age.values)).toEqual([50, 61.5, 33]);
    expect(Array.from(byName.visits.values)).toEqual([2, 0, 10]);
    expect(Array.from(byName.smoker.values)).toEqual([0, 1, 0]);
    expect(Array.from(byName.stage.values)).toEqual([0, 2, 1]);
    expect(Array.from(byName.code.values)).toEqual([0, 2, 1]);
    expect(byName.marker.values[0]).toBe(1.5);
    expect(Number.isNaN(byName.marker.values[1])).toBe(true);
    expect(Array.from(byName.marker.missing)).toEqual([0, 1, 0]);
    expect(Array.from(table.label!)).toEqual([1, 0, 0]);
    expect(table.negativeLabel).toBe(0);
    expect(report.missing).toMatchObject({ marker: 1, age: 0 });
    expect(report.rows).toBe(3);
    expect(report.ignoredColumns).toEqual([]);
  });

  it('matches categories by string form, numeric codes also by value ("2.0" is level 2)', () => {
    const { table } = readTableFromTextSync(classificationCsv(['50,2,no,I,2.0,1,1', '40,1,yes,II,1,2,0']), classificationCard, { source: SOURCE });
    expect(Array.from(table.features[4].values)).toEqual([2, 1]);
  });

  it('recognises the usual missing spellings and keeps every such row', () => {
    const { table, report } = readTableFromTextSync(
      classificationCsv(['NA,2,no,I,0,NaN,1', ' ,?,,,N/A,null,0']),
      classificationCard,
      { source: SOURCE },
    );
    expect(table.nRows).toBe(2);
    expect(report.missing).toEqual({ age: 2, visits: 1, smoker: 1, stage: 1, code: 1, marker: 2 });
    expect(Array.from(table.features[2].missing)).toEqual([0, 1]);
  });

  it('parses quoted fields with commas, doubled quotes and line breaks', () => {
    const card = parseCard({
      name: 'q',
      task: 'classification',
      label: 'y',
      positive: 'dead, in hospital',
      features: [
        { name: 'ward', type: 'categorical', categories: ['a, "north"', 'b\nsouth'] },
        { name: 'x', type: 'numeric' },
      ],
    });
    const text = 'ward,x,y\n"a, ""north""",1,"dead, in hospital"\n"b\nsouth","2",alive\n';
    const { table } = readTableFromTextSync(text, card, { source: SOURCE });
    expect(Array.from(table.features[0].values)).toEqual([0, 1]);
    expect(Array.from(table.features[1].values)).toEqual([1, 2]);
    expect(Array.from(table.label!)).toEqual([1, 0]);
    expect(table.negativeLabel).toBe('alive');
  });

  it('handles CRLF line ends, a UTF-8 BOM, and no final newline', () => {
    const text = '\uFEFF' + classificationCsv().replace(/\n/g, '\r\n').replace(/\r\n$/, '');
    const { table, report } = readTableFromTextSync(text, classificationCard, { source: SOURCE });
    expect(table.nRows).toBe(3);
    expect(report.header[0]).toBe('age');
    expect(Array.from(table.label!)).toEqual([1, 0, 0]);
  });

  it('gives the same table whatever the chunking (streamed records)', async () => {
    const text = classificationCsv();
    const records = text
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    async function* stream() {
      for (const r of records) yield r;
    }
    const a = await readTable(stream(), classificationCard, { source: SOURCE });
    const b = readTableFromTextSync(text, classificationCard, { source: SOURCE });
    expect(Array.from(a.table.features[0].values)).toEqual(Array.from(b.table.features[0].values));
    expect(Array.from(a.table.label!)).toEqual(Array.from(b.table.label!));
  });

  it('lists columns the card does not use instead of failing', () => {
    const text = 'id,' + CLASSIFICATION_HEADER + '\n7,50,2,no,I,0,1.5,1\n8,40,2,no,I,0,1.5,0\n';
    const { report } = readTableFromTextSync(text, classificationCard, { source: SOURCE });
    expect(report.ignoredColumns).toEqual(['id']);
  });

  it('skips blank lines but counts them', () => {
    const { table, report } = readTableFromTextSync(classificationCsv(['50,2,no,I,0,1.5,1', '', '33,10,no,II,1,-3,0']), classificationCard, {
      source: SOURCE,
    });
    expect(table.nRows).toBe(2);
    expect(report.blankLines).toBe(1);
  });

  it('reads survival outcomes', () => {
    const { table } = readTableFromTextSync(survivalCsv(), survivalCard, { source: SOURCE });
    expect(Array.from(table.time!)).toEqual([100, 20.5]);
    expect(Array.from(table.event!)).toEqual([1, 0]);
    expect(Array.from(table.features[1].values)).toEqual([0, 1]);
  });

  it('clamps out-of-bounds values only when asked, and reports how many', () => {
    const text = classificationCsv(['150,2,no,I,0,1,1', '10,60,no,I,0,1,0', '50,2,no,I,0,1,0']);
    const { table, report } = readTableFromTextSync(text, classificationCard, { source: SOURCE, clampToBounds: true });
    expect(Array.from(table.features[0].values)).toEqual([100, 18, 50]);
    expect(Array.from(table.features[1].values)).toEqual([2, 50, 2]);
    expect(report.clamped).toEqual({ age: 2, visits: 1 });
    expect(report.clampToBounds).toBe(true);
  });
});

describe('readTableFromText: bad input names file, row and column', () => {
  it('an empty file', () => {
    const e = errorOf('');
    expect(e.message).toMatch(/^toy\.csv: .*empty/);
    expect(e.file).toBe(SOURCE);
  });

  it('a file with only a header', () => {
    const e = errorOf(CLASSIFICATION_HEADER + '\n');
    expect(e.message).toMatch(/^toy\.csv: .*no data rows/);
  });

  it('ragged rows (too few and too many fields)', () => {
    let e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1', '40,2,no,I,0,1']));
    expect([e.file, e.row, e.column]).toEqual([SOURCE, 2, 'outcome']);
    expect(e.message).toBe('toy.csv: row 2, column "outcome": row has 6 fields, the header has 7 (first missing: "outcome")');
    e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1,extra']));
    expect(e.row).toBe(1);
    expect(e.message).toMatch(/row 1, column "field 8": row has 8 fields, the header has 7/);
  });

  it('a duplicate header name', () => {
    const e = errorOf('age,age,visits\n1,2,3\n');
    expect(e.column).toBe('age');
    expect(e.message).toMatch(/toy\.csv: column "age": header: the name appears twice \(columns 1 and 2\)/);
  });

  it('an empty header name', () => {
    const e = errorOf('age,,visits\n1,2,3\n');
    expect(e.message).toMatch(/toy\.csv: column "field 2": header: column 2 has no name/);
  });

  it('a card column absent from the header', () => {
    const e = errorOf('age,visits,smoker,stage,code,outcome\n50,2,no,I,0,1\n');
    expect(e.column).toBe('marker');
    expect(e.message).toMatch(/"marker" are not in the file/);
  });

  it('non-numeric text in a numeric column', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1', '4O,2,no,I,0,1.5,0']));
    expect(e.message).toBe('toy.csv: row 2, column "age": "4O" is not a number');
    expect([e.row, e.column]).toEqual([2, 'age']);
  });

  it.each(['0x1F', 'Infinity', '1e999', '1,5'.replace(',', ';')])('rejects %s as a number', (cell) => {
    const e = errorOf(classificationCsv([`${cell},2,no,I,0,1.5,1`]));
    expect([e.row, e.column]).toEqual([1, 'age']);
  });

  it('a non-integer value in an integer column', () => {
    const e = errorOf(classificationCsv(['50,2.5,no,I,0,1.5,1']));
    expect(e.message).toMatch(/row 1, column "visits": "2.5" is not an integer/);
  });

  it('a categorical value not in the card', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1,1', '50,2,no,IV,0,1,0']));
    expect([e.row, e.column]).toEqual([2, 'stage']);
    expect(e.message).toMatch(/"IV" is not a category in the card/);
    const e2 = errorOf(classificationCsv(['50,2,maybe,I,0,1,1']));
    expect(e2.column).toBe('smoker');
  });

  it('a label with a third class', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1,1', '50,2,no,I,0,1,0', '50,2,no,I,0,1,2']));
    expect([e.row, e.column]).toEqual([3, 'outcome']);
    expect(e.message).toMatch(/a third label value "2"/);
  });

  it('a label with a single class', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1,1', '50,2,no,I,0,1,1.0']));
    expect(e.column).toBe('outcome');
    expect(e.message).toMatch(/toy\.csv: column "outcome": the label has 1 distinct value/);
  });

  it('a label whose two classes do not include the positive value', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1,0', '50,2,no,I,0,1,2']));
    expect(e.message).toMatch(/positive value 1 never occurs/);
  });

  it('a missing label', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1,1', '50,2,no,I,0,1,']));
    expect([e.row, e.column]).toEqual([2, 'outcome']);
  });

  it.each([
    ['-0.001', /"-0.001" is not a finite number ≥ 0/],
    ['-3', /"-3" is not a finite number ≥ 0/],
    ['inf', /"inf" is not a finite number ≥ 0/],
    ['', /time is missing/],
  ])('survival time %j', (time, pattern) => {
    const e = errorOf(survivalCsv(['50,0,100,1', `60,1,${time},0`]), survivalCard);
    expect([e.file, e.row, e.column]).toEqual([SOURCE, 2, 'time']);
    expect(e.message).toMatch(pattern);
  });

  it.each(['2', 'yes', '', '0.5'])('survival event %j', (event) => {
    const e = errorOf(survivalCsv(['50,0,100,1', `60,1,20,${event}`]), survivalCard);
    expect([e.row, e.column]).toEqual([2, 'event']);
    expect(e.message).toMatch(/is not 0 \(censored\) or 1 \(event\)/);
  });

  it('all rows censored', () => {
    const e = errorOf(survivalCsv(['50,0,100,0', '60,1,20,0']), survivalCard);
    expect(e.column).toBe('event');
    expect(e.message).toMatch(/all 2 rows are censored/);
  });

  it('values outside the card bounds without the clamp flag', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1,1', '101,2,no,I,0,1,0']));
    expect(e.message).toMatch(/^toy\.csv: row 2, column "age": 101 is outside the card's bounds \[18, 100\]/);
  });

  it('malformed quoting', () => {
    let e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1', '"50,2,no,I,0,1.5,0']));
    expect(e.message).toMatch(/never closed/);
    expect(e.row).toBe(2);
    e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1', '"50"x,2,no,I,0,1.5,0']));
    expect([e.row, e.column]).toEqual([2, 'age']);
    expect(e.message).toMatch(/after a closing quote/);
    e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1', '50,2,n"o,I,0,1.5,0']));
    expect([e.row, e.column]).toEqual([2, 'smoker']);
  });

  it('names the physical line when it differs from the data row', () => {
    const e = errorOf(classificationCsv(['50,2,no,I,0,1.5,1', '', 'x,2,no,I,0,1.5,0']));
    expect(e.row).toBe(2);
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/row 2 \(line 4\), column "age"/);
  });
});

describe('storage at scale', () => {
  it('allocates each column once at rowsHint (no doubling, no trimming copy when the hint is exact)', () => {
    const text = classificationCsv();
    const exact = readTableFromTextSync(text, classificationCard, { source: SOURCE, rowsHint: 3 }).table;
    for (const column of exact.features) {
      expect(column.values.buffer.byteLength).toBe(3 * 8);
      expect(column.missing.buffer.byteLength).toBe(3);
    }
    // A hint that is too small still reads every row (storage grows); one too large is trimmed.
    for (const rowsHint of [1, 1000]) {
      const table = readTableFromTextSync(text, classificationCard, { source: SOURCE, rowsHint }).table;
      expect(table.nRows).toBe(3);
      expect(Array.from(table.features[0].values)).toEqual(Array.from(exact.features[0].values));
      expect(table.features[0].values.length).toBe(3);
    }
  });

  it('float32 feature storage rounds values to single precision and keeps levels, missing values and outcomes exact', () => {
    const text = classificationCsv();
    const double = readTableFromTextSync(text, classificationCard, { source: SOURCE }).table;
    const single = readTableFromTextSync(text, classificationCard, { source: SOURCE, featureStorage: 'float32' }).table;
    single.features.forEach((column, f) => {
      expect(column.values).toBeInstanceOf(Float32Array);
      expect(Array.from(column.missing)).toEqual(Array.from(double.features[f].missing));
      double.features[f].values.forEach((v, i) => {
        if (Number.isNaN(v)) expect(Number.isNaN(column.values[i])).toBe(true);
        else expect(column.values[i]).toBe(Math.fround(v));
      });
    });
    expect(Array.from(single.label!)).toEqual(Array.from(double.label!));
    expect(single.features.find((c) => c.spec.name === 'age')!.values[1]).toBe(61.5);
  });
});
