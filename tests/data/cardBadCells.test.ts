/**
 * Issue 13, defects 5 and 6: `card` names the row of the offending cell, and a numeric column with
 * a number in a form we do not read is an error (or, mixed with real text, a warning saying why
 * the type is text) — never a silent switch to categorical. Plus: `describe` lists the tokens it
 * read as missing and warns about an all-missing column.
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { inferCardFromText } from '../../src/data/inferCard.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { numberLookalike } from '../../src/data/values.js';

/** 40 rows of a numeric column `x` (all distinct, so more than 20 levels) with `bad` in data row `at`. */
function numericColumnWith(bad: string, at: number, rows = 40): string {
  const lines = ['x,y'];
  for (let i = 1; i <= rows; i++) {
    const v = i === at ? bad : String(50 + i * 1.5);
    lines.push(`${/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v},${i % 2}`);
  }
  return lines.join('\n') + '\n';
}

function draftError(csv: string): DataError {
  try {
    inferCardFromText(csv, { name: 't', source: 't.csv', label: 'y' });
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

describe('defect 5: card names the row of the offending cell', () => {
  it.each(['\u0000', 'Infinity', '1e309', '0x1A', 'abc', '1,234', '-nan'])('%j in row 5 of a 40-row numeric column', (bad) => {
    const error = draftError(numericColumnWith(bad, 5));
    expect(error.row).toBe(5);
    expect(error.column).toBe('x');
    expect(error.message).toMatch(/^t\.csv: row 5, column "x": /);
  });

  it('names the same row as ingestion does (describe/condense)', () => {
    const csv = numericColumnWith('abc', 7);
    const card = { name: 't', task: 'classification' as const, label: 'y', positive: 1, features: [{ name: 'x', type: 'numeric' as const, bounds: null }] };
    let ingestRow: number | undefined;
    try {
      readTableFromTextSync(csv, card, { source: 't.csv' });
    } catch (error) {
      ingestRow = (error as DataError).row;
    }
    expect(ingestRow).toBe(7);
    expect(draftError(csv).row).toBe(7);
  });
});

describe('defect 6: no silent type switch for numbers in forms we do not read', () => {
  it.each([
    ['Infinity', /infinite value/],
    ['1e309', /too large for a double/],
    ['1,234', /thousands separator or a decimal comma/],
  ])('a two-value column with %j is an error, not a binary {"50", %j}', (bad, why) => {
    const csv = 'x,y\n50,0\n' + `"${bad}",1\n` + '50,1\n51,0\n';
    const error = draftError(csv);
    expect(error.row).toBe(2);
    expect(error.message).toMatch(why);
    expect(error.message).toMatch(/looks like a number but is not read as one/);
  });

  it('1e308 is a number: the column stays numeric', () => {
    const { card } = inferCardFromText('x,y\n1e308,0\n2.5,1\n', { name: 't', source: 't.csv', label: 'y' });
    expect(card.features[0]).toEqual({ name: 'x', type: 'numeric', bounds: null });
  });

  it('numbers mixed with real text become categorical WITH a warning naming the text cell', () => {
    const { card, notes } = inferCardFromText('x,y\n1,0\n2,1\nabc,1\n3,0\n', { name: 't', source: 't.csv', label: 'y' });
    expect(card.features[0].type).toBe('categorical');
    expect(notes.join('\n')).toMatch(/WARNING "x" drafted as categorical, not numeric: 3 cell\(s\) are numbers, but row 3 has "abc"/);
  });

  it('ingestion explains a number-like cell too', () => {
    const card = { name: 't', task: 'classification' as const, label: 'y', positive: 1, features: [{ name: 'x', type: 'numeric' as const, bounds: null }] };
    expect(() => readTableFromTextSync('x,y\n"1,5",1\n2,0\n', card, { source: 't.csv' })).toThrow(/row 1, column "x": "1,5" is not a number \(a thousands separator or a decimal comma\?/);
  });

  it('numberLookalike leaves plain decimals and plain words alone', () => {
    for (const plain of ['12', '-0.5', '1e308', 'abc', 'I', 'yes', '1.2.3']) expect(numberLookalike(plain)).toBeUndefined();
    for (const odd of ['inf', '-Infinity', '1e400', '12,000', '1,5', '1.234,5', '0b101', '0o17', '0XFF', 'NAN', '1.#INF', '#N/A', '#DIV/0!']) expect(numberLookalike(odd)).toBeDefined();
  });
});

describe('describe: missing tokens and all-missing columns (ingest report)', () => {
  it('counts each token read as missing and lists all-missing features', () => {
    const card = {
      name: 't',
      task: 'classification' as const,
      label: 'y',
      positive: 1,
      features: [
        { name: 'x', type: 'numeric' as const, bounds: null },
        { name: 'z', type: 'numeric' as const, bounds: null },
      ],
    };
    const { report } = readTableFromTextSync('x,z,y\n1,,0\nNA,NA,1\n?,,1\n3,null,0\n', card, { source: 't.csv' });
    expect(report.missingTokens).toEqual({ '': 2, NA: 2, '?': 1, null: 1 });
    expect(report.allMissing).toEqual(['z']);
  });
});
