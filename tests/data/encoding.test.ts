import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matrix } from '../../src/core/matrix.js';
import { CardError, parseCard } from '../../src/data/card.js';
import { Encoder } from '../../src/data/encoding.js';
import { formatTableCsv } from '../../src/data/format.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { rowMajorRecords, type Table } from '../../src/data/table.js';
import { cardAndTableArb } from './arbitraries.js';
import { classificationCard, classificationCsv } from './helpers.js';

/**
 * Numeric round-trip tolerance: the affine map loses a few ulps of the *box* (|center| + |scale|),
 * so the error is relative to the size of the bounds, not to x (x near 0 in [-100, 100] can only be
 * recovered to ~1e-14 absolute).
 */
function closeEnough(a: number, b: number, low: number, high: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), Math.abs(low), Math.abs(high));
}

describe('Encoder layout', () => {
  const card = parseCard({ ...classificationCard, features: classificationCard.features.filter((f) => f.name !== 'marker') });

  it('has one coordinate per numeric/integer/binary feature and k per categorical', () => {
    const enc = new Encoder(card);
    expect(enc.dim).toBe(1 + 1 + 1 + 3 + 3);
    expect(enc.columnNames).toEqual(['age', 'visits', 'smoker', 'stage=I', 'stage=II', 'stage=III', 'code=0', 'code=1', 'code=2']);
    expect(enc.slices[3]).toEqual({ feature: 'stage', type: 'categorical', start: 3, length: 3 });
    expect(Array.from(enc.lower)).toEqual(new Array(9).fill(0));
    expect(Array.from(enc.upper)).toEqual(new Array(9).fill(1));
  });

  it('maps the bounds to [0,1] by default and to the scaled box otherwise', () => {
    const enc = new Encoder(card, { scaling: { age: { center: 50, scale: 10 } } });
    expect(enc.lower[0]).toBeCloseTo(-3.2, 12);
    expect(enc.upper[0]).toBeCloseTo(5, 12);
    const { table } = readTableFromTextSync(classificationCsv(['50,2,no,I,0,0,1', '70,0,yes,III,2,0,0']), classificationCard, { source: 't' });
    const t = { ...table, card, features: table.features.slice(0, 5) };
    const Z = enc.encode(t);
    expect(Z.data[0]).toBe(0);
    expect(Z.data[enc.dim]).toBe(2);
    expect(Z.data[1]).toBeCloseTo(2 / 50, 15);
    expect(Array.from(Z.data.subarray(enc.dim + 3, enc.dim + 9))).toEqual([0, 0, 1, 0, 0, 1]);
  });

  it('refuses a numeric feature without bounds, naming it, unless bounds are supplied', () => {
    expect(() => new Encoder(classificationCard)).toThrow(CardError);
    expect(() => new Encoder(classificationCard)).toThrow(/feature "marker" has no bounds/);
    const enc = new Encoder(classificationCard, { bounds: { marker: [-10, 10] } });
    expect(enc.lower[enc.dim - 1]).toBe(0);
    expect(() => new Encoder(classificationCard, { bounds: { marker: [-10, 10], age: [0, 120] } })).toThrow(/wider than the card's public bounds/);
    expect(() => new Encoder(classificationCard, { bounds: { marker: [1, 1] } })).toThrow(/need finite low < high/);
    expect(() => new Encoder(classificationCard, { bounds: { marker: [0, 1], nope: [0, 1] } })).toThrow(/"nope" is not a feature/);
    expect(() => new Encoder(card, { scaling: { age: { center: 0, scale: 0 } } })).toThrow(/scale > 0/);
  });

  it('imputes missing cells to a documented neutral point on request', () => {
    const enc = new Encoder(classificationCard, { bounds: { marker: [-10, 10] }, scaling: { age: { center: 40, scale: 10 } } });
    const { table } = readTableFromTextSync(classificationCsv(['NA,NA,NA,NA,NA,NA,1', '50,2,no,I,0,1,0']), classificationCard, { source: 't' });
    const nan = enc.encode(table);
    expect(Array.from(nan.data.subarray(0, enc.dim)).every(Number.isNaN)).toBe(true);
    const imputed = enc.encode(table, { missing: 'impute' });
    // age: its scaling center (z = 0); visits: middle of [0, 50]; smoker: 0.5; stage/code: 1/3 each; marker: middle.
    expect(Array.from(imputed.data.subarray(0, enc.dim))).toEqual([0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 0.5]);
  });
});

describe('Encoder decode', () => {
  it('clamps, rounds integers, thresholds binaries at 0.5, argmaxes categoricals (ties to the first)', () => {
    const card = parseCard({ ...classificationCard, features: classificationCard.features.filter((f) => f.name !== 'marker') });
    const enc = new Encoder(card);
    const Z = matrix(2, enc.dim, Float64Array.from([1.7, 0.4999, 0.5, 0.2, 0.9, 0.9, 0.3, 0.3, 0.3, -4, 0.019, 0.4999, 0.5, 0.2, 0.1, NaN, NaN, NaN]));
    const cols = enc.decode(Z);
    expect(Array.from(cols[0].values)).toEqual([100, 18]);
    expect(Array.from(cols[1].values)).toEqual([25, 1]); // 24.995 → 25, 0.95 → 1
    expect(Array.from(cols[2].values)).toEqual([1, 0]);
    expect(Array.from(cols[3].values)).toEqual([1, 0]); // [0.2, 0.9, 0.9] → tie → II; [0.5, 0.2, 0.1] → I
    expect(cols[4].values[0]).toBe(0);
    expect(Array.from(cols[4].missing)).toEqual([0, 1]);
  });

  it('project clamps into the box in place and leaves NaN alone', () => {
    const enc = new Encoder(parseCard({ name: 'p', task: 'survival', time: 't', event: 'e', features: [{ name: 'a', type: 'numeric', bounds: [0, 10] }, { name: 'b', type: 'binary' }] }));
    const Z = matrix(1, 2, Float64Array.from([1.5, NaN]));
    enc.project(Z);
    expect(Z.data[0]).toBe(1);
    expect(Number.isNaN(Z.data[1])).toBe(true);
  });

  it('decode of any Z gives values inside the bounds, integer where required, valid levels', () => {
    fc.assert(
      fc.property(
        cardAndTableArb({ withMissing: false }).chain(({ card }) => {
          const enc = new Encoder(card);
          return fc.tuple(fc.constant(enc), fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: enc.dim * 3, maxLength: enc.dim * 3 }));
        }),
        ([enc, z]) => {
          const cols = enc.decode(matrix(3, enc.dim, Float64Array.from(z)));
          cols.forEach((c) => {
            for (const v of c.values) {
              if (c.spec.type === 'numeric' || c.spec.type === 'integer') {
                expect(v).toBeGreaterThanOrEqual(c.spec.bounds![0]);
                expect(v).toBeLessThanOrEqual(c.spec.bounds![1]);
                if (c.spec.type === 'integer') expect(Number.isInteger(v)).toBe(true);
              } else {
                const k = c.spec.type === 'binary' ? 2 : c.spec.categories!.length;
                expect(Number.isInteger(v) && v >= 0 && v < k).toBe(true);
              }
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Encoder round trip (fast-check)', () => {
  function checkRoundTrip(withMissing: boolean, scaled: boolean) {
    fc.assert(
      fc.property(cardAndTableArb({ withMissing }), fc.double({ min: 0.01, max: 100, noNaN: true }), ({ card, table }, spread) => {
        const scaling = scaled
          ? Object.fromEntries(
              card.features
                .filter((f) => f.bounds)
                .map((f) => [f.name, { center: (f.bounds![0] + f.bounds![1]) / 2, scale: ((f.bounds![1] - f.bounds![0]) / spread) * 0.37 }]),
            )
          : undefined;
        const enc = new Encoder(card, { scaling });
        const Z = enc.encode(table);
        // In-bounds rows encode inside the box.
        for (let i = 0; i < Z.rows; i++) {
          for (let j = 0; j < enc.dim; j++) {
            const v = Z.data[i * enc.dim + j];
            if (v === v) {
              expect(v).toBeGreaterThanOrEqual(enc.lower[j] - 1e-12);
              expect(v).toBeLessThanOrEqual(enc.upper[j] + 1e-12);
            }
          }
        }
        const decoded = enc.decodeToTable(Z, { label: table.label, time: table.time, event: table.event });
        table.features.forEach((column, f) => {
          const back = decoded.features[f];
          expect(Array.from(back.missing)).toEqual(Array.from(column.missing));
          for (let i = 0; i < table.nRows; i++) {
            if (column.missing[i]) continue;
            if (column.spec.type === 'numeric') {
              const [low, high] = column.spec.bounds!;
              expect(closeEnough(back.values[i], column.values[i], low, high)).toBe(true);
            } else {
              expect(back.values[i]).toBe(column.values[i]);
            }
          }
        });
      }),
      { numRuns: 300 },
    );
  }

  it('decode(encode(x)) == x for in-bounds rows, default [0,1] scaling', () => checkRoundTrip(false, false));
  it('decode(encode(x)) == x with missing cells (NaN round-trips to missing)', () => checkRoundTrip(true, false));
  it('decode(encode(x)) == x under a standardising scaling', () => checkRoundTrip(false, true));

  it('decodeToTable checks the outcome', () => {
    const enc = new Encoder(parseCard({ name: 'p', task: 'survival', time: 't', event: 'e', features: [{ name: 'b', type: 'binary' }] }));
    expect(() => enc.decodeToTable(matrix(2, 1), { time: new Float64Array(2) })).toThrow(/needs "event"/);
    expect(() => enc.decodeToTable(matrix(2, 1), { time: new Float64Array(1), event: new Uint8Array(2) })).toThrow(/"time" has 1 values for 2 rows/);
  });
});

describe('Encoder.harden', () => {
  it('equals encoding the decoded table, for any point of Z (inside the box or not)', () => {
    fc.assert(
      fc.property(cardAndTableArb({ withMissing: false }), fc.integer({ min: 1, max: 2 ** 30 }), ({ card, table }, seed) => {
        const encoder = new Encoder(card);
        const Z = encoder.encode(table);
        // Push every coordinate around, well past the box, deterministically from the seed.
        let s = seed;
        for (let i = 0; i < Z.data.length; i++) {
          s = (s * 1103515245 + 12345) % 2 ** 31;
          Z.data[i] += ((s / 2 ** 31) - 0.5) * 3;
        }
        const hardened = encoder.harden(Z, matrix(Z.rows, Z.cols));
        const reencoded = encoder.encode(encoder.decodeToTable(Z, outcomeOf(table)));
        for (let i = 0; i < Z.data.length; i++) expect(hardened.data[i]).toBeCloseTo(reencoded.data[i], 9);
      }),
      { numRuns: 60 },
    );
  });
});

function outcomeOf(table: { label?: Uint8Array; time?: Float64Array; event?: Uint8Array }) {
  return { label: table.label, time: table.time, event: table.event };
}

describe('Encoder on row-major records', () => {
  /** The same table with its features copied out into one array per column. */
  const inColumns = (table: Table): Table => ({ ...table, features: table.features.map((c) => ({ spec: c.spec, values: Float64Array.from(c.values), missing: c.missing })) });

  it('encodes any batch of an ingested table to the same doubles as the table in columns (missing cells, both fills, float32 storage)', () => {
    fc.assert(
      fc.property(
        cardAndTableArb({ withMissing: true }),
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        ({ card, table: generated }, float32, draws) => {
          const { table } = readTableFromTextSync(formatTableCsv(generated), card, { source: 'rows.csv', featureStorage: float32 ? 'float32' : 'float64' });
          expect(rowMajorRecords(table)?.width).toBe(card.features.length);
          const columns = inColumns(table);
          expect(rowMajorRecords(columns)).toBeUndefined();
          const indices = Int32Array.from(draws, (d) => d % table.nRows);
          const encoder = new Encoder(card);
          for (const missing of ['nan', 'impute'] as const) {
            const fromRows = encoder.encodeRows(table, indices, new Float64Array(indices.length * encoder.dim), { missing });
            const fromColumns = encoder.encodeRows(columns, indices, new Float64Array(indices.length * encoder.dim), { missing });
            expect(Array.from(fromRows.data)).toEqual(Array.from(fromColumns.data)); // NaN equals NaN here
            expect(Array.from(encoder.encode(table, { missing }).data)).toEqual(Array.from(encoder.encode(columns, { missing }).data));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('falls back to the columns when a table keeps only some of the records\' features', () => {
    const { table } = readTableFromTextSync(classificationCsv(['50,2,no,I,0,0,1', '70,0,yes,III,2,0,0']), classificationCard, { source: 't' });
    const card = parseCard({ ...classificationCard, features: classificationCard.features.slice(1, 5) });
    const sliced = { ...table, card, features: table.features.slice(1, 5) };
    expect(rowMajorRecords(sliced)).toBeUndefined();
    const Z = new Encoder(card).encode(sliced);
    expect(Array.from(Z.data)).toEqual([2 / 50, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
  });
});
