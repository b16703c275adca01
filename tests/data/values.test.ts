import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { LevelLookup, isDecimalNotation, labelKey, parseStrictNumber } from '../../src/data/values.js';
import { survivalCard } from './helpers.js';

describe('parseStrictNumber', () => {
  it('accepts exactly plain decimal notation (fast path agrees with the reference grammar)', () => {
    const alphabet = fc.constantFrom('0', '1', '7', '9', '.', 'e', 'E', '+', '-', 'x', 'b', 'o', 'X', ' ', '\t', '\u00a0', 'I', 'n', 'f', '_', ',');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 8 }), (text) => {
        const v = parseStrictNumber(text);
        if (isDecimalNotation(text) && Number.isFinite(Number(text))) expect(v).toBe(Number(text));
        else expect(Number.isNaN(v)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    for (const t of ['0x1F', '0b1', '0o7', 'Infinity', '', ' 1', '1e999']) expect(Number.isNaN(parseStrictNumber(t))).toBe(true);
    for (const [t, v] of [['1e3', 1000], ['-.5', -0.5], ['5.', 5], ['007', 7]] as const) expect(parseStrictNumber(t)).toBe(v);
  });

  it('labelKey: "1" and "1.0" are one class, "yes" and "Yes" two', () => {
    expect(labelKey('1')).toBe(labelKey('1.0'));
    expect(labelKey('yes')).not.toBe(labelKey('Yes'));
  });

  it('LevelLookup matches by string form and by numeric value', () => {
    const levels = new LevelLookup({ type: 'categorical', categories: [0, '1', 'b'] });
    expect([levels.indexOf('0'), levels.indexOf('0.0'), levels.indexOf('1'), levels.indexOf('1.00'), levels.indexOf('b'), levels.indexOf('c')]).toEqual([0, 0, 1, 1, 2, -1]);
  });

  it('a missing token that spells a number (e.g. -999) is honoured before parsing', () => {
    const { table, report } = readTableFromTextSync('age,treated,time,event\n-999,0,5,1\n50,1,3,0\n', survivalCard, {
      source: 's.csv',
      missingValues: ['', '-999'],
    });
    expect(Array.from(table.features[0].missing)).toEqual([1, 0]);
    expect(report.missing.age).toBe(1);
  });
});
