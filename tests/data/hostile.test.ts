/**
 * Hostile inputs (issue 13): every file in tests/fixtures/hostile, and random files built by
 * fast-check, ends in a valid load or one clear error line (exit 1 naming the file) — never a
 * crash ("internal error"), a hang or a partial output.
 */
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/runCli.js';
import { CardError } from '../../src/data/card.js';
import { DataError } from '../../src/data/errors.js';
import { inferCardFromText } from '../../src/data/inferCard.js';

const run = runCli;

const HOSTILE = join('tests', 'fixtures', 'hostile');
const work = mkdtempSync(join(tmpdir(), 'dpc-hostile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What each corpus file must give with `card FILE --label y`: ok, or an error matching the pattern. */
const EXPECTED: Record<string, 'ok' | RegExp> = {
  'blank-lines.csv': 'ok',
  'bom-crlf.csv': 'ok',
  'delimiter-pipe.csv': /header: no column named "y"/,
  'delimiter-semicolon.csv': /header: no column named "y"/,
  'delimiter-space.csv': /header: no column named "y"/,
  'delimiter-tab.csv': /header: no column named "y"/,
  'duplicate-headers.csv': /column "age": header: the name appears twice/,
  'empty.csv': /the file is empty/,
  'header-only.csv': /a header but no data rows/,
  'huge-numbers.csv': /row 2, column "age": "1e309" looks like a number/,
  'locale-numbers.csv': /row 1, column "age": "1,234" looks like a number/,
  'long-field.csv': 'ok',
  'nan-infinity-spellings.csv': /row 3, column "age": "NAN" looks like a number .*NaN or infinity spelling/,
  'nul-bytes.csv': /row 2, column "age": the cell contains a NUL byte/,
  'one-row.csv': /the label has 1 distinct value/,
  'quoted-newlines.csv': 'ok',
  'ragged-rows.csv': /row 2, column "y": row has 2 fields, the header has 3/,
  'random-bytes.csv': /not valid UTF-8/,
  'stray-quote.csv': /row 1, column "age": a quote \("\) inside an unquoted field/,
  'ten-thousand-columns.csv': 'ok',
  'truncated-quote.csv': /row 2, column "age": a quoted field is never closed/,
  'truncated-row.csv': /row 2, column "y": row has 2 fields, the header has 3/,
  'utf16.csv': /./,
};

describe('the hostile corpus through `dpcondense card`', () => {
  it('lists every corpus file', () => {
    expect(readdirSync(HOSTILE).filter((f) => f.endsWith('.csv')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: ${expected === 'ok' ? 'loads' : 'one clear error'}, nothing partial`, async () => {
      const out = mkdtempSync(join(work, 'out-'));
      const r = await run('card', join(HOSTILE, file), '--label', 'y', '--positive', '1', '--out', join(out, 'card.json'));
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      if (expected === 'ok') {
        expect(r.code, r.stderr).toBe(0);
        const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
        // The draft loads its own file.
        expect((await run('describe', join(HOSTILE, file), '--card', join(out, 'card.json'))).code).toBe(0);
        expect(card.label).toBe('y');
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(new RegExp(`^error: .*${file.replace('.', '\\.')}`));
        expect(r.stderr).toMatch(expected);
        expect(readdirSync(out)).toEqual([]);
      }
    });
  }
});

/** Cells a hostile export might contain. */
const hostileCell = fc.oneof(
  fc.constantFrom('', 'NA', '?', 'nan', 'NaN', 'NAN', 'Infinity', '-inf', '1e309', '1e308', '1,234', '0x1A', '1.5', '-0', '007', ' 3 ', 'abc', '\u0000', '"', '""', 'a"b', '\n', '\r\n', '\r', ',', '\uFEFF', 'é', '😀'),
  fc.double({ noNaN: false }).map(String),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }),
);

/** A CSV text from cells: sometimes quoted, sometimes ragged, with or without a final line break. */
const hostileCsv = fc
  .record({
    columns: fc.integer({ min: 1, max: 5 }),
    rows: fc.array(fc.array(hostileCell, { minLength: 0, maxLength: 7 }), { maxLength: 8 }),
    quote: fc.boolean(),
    labels: fc.array(fc.constantFrom('0', '1', 'yes', ''), { maxLength: 8 }),
    finalBreak: fc.boolean(),
  })
  .map(({ columns, rows, quote, labels, finalBreak }) => {
    const field = (c: string) => (quote && /[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    const header = [...Array.from({ length: columns }, (_, j) => `c${j}`), 'y'].join(',');
    const body = rows.map((cells, i) => [...cells.map(field), labels[i] ?? '1'].join(','));
    return [header, ...body].join('\n') + (finalBreak ? '\n' : '');
  });

describe('fuzzed CSV text', () => {
  it('drafting a card ends in a card or a DataError/CardError, never anything else', () => {
    fc.assert(
      fc.property(hostileCsv, (text) => {
        try {
          inferCardFromText(text, { name: 'f', source: 'f.csv', label: 'y', positive: '1' });
        } catch (error) {
          if (!(error instanceof DataError || error instanceof CardError)) throw error;
          expect(error.message).toMatch(/^f\.csv|^draft card/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes and truncations through the CLI: exit 0 or 1, one line, nothing partial', async () => {
    const source = readFileSync(join(HOSTILE, 'quoted-newlines.csv'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 0, max: source.length }).map((n) => source.subarray(0, n)),
        ),
        async (bytes) => {
          const dir = mkdtempSync(join(work, 'fuzz-'));
          const file = join(dir, 'in.csv');
          writeFileSync(file, bytes);
          const r = await run('card', file, '--label', 'y', '--positive', '1', '--out', join(dir, 'card.json'));
          expect(r.stderr).not.toMatch(/internal error/);
          expect([0, 1]).toContain(r.code);
          if (r.code === 0) JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8'));
          else {
            expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
            expect(readdirSync(dir)).toEqual(['in.csv']);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
