import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvTokenizer, quoteCsvField, tokenizeCsv } from '../../src/data/csv.js';

function records(text: string): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  tokenizeCsv(text, 't.csv', (fields, _i, line) => out.push({ fields, line }));
  return out;
}

describe('CsvTokenizer', () => {
  it('splits plain records and keeps empty fields', () => {
    expect(records('a,b,c\n1,,3\n,,\n').map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['1', '', '3'],
      ['', '', ''],
    ]);
  });

  it('handles quotes, escaped quotes, separators and newlines inside quotes; counts lines', () => {
    const r = records('h1,h2\r\n"x,1","say ""hi"""\r\n"multi\r\nline",z\r\nlast,1');
    expect(r.map((x) => x.fields)).toEqual([
      ['h1', 'h2'],
      ['x,1', 'say "hi"'],
      ['multi\r\nline', 'z'],
      ['last', '1'],
    ]);
    expect(r.map((x) => x.line)).toEqual([1, 2, 3, 5]);
  });

  it('treats a lone CR as a line end and strips a BOM', () => {
    expect(records('\uFEFFa,b\r1,2\r').map((x) => x.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('gives the same records for any split of the input into chunks', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 6 }).filter((s) => !/["\r\n,]/.test(s) && s.length > 0),
      fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', ' ', 'é'), maxLength: 6 }),
    );
    const table = fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(table, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (rows, cuts, eol) => {
        const width = rows[0].length;
        const fixed = rows.map((r) => Array.from({ length: width }, (_, j) => r[j] ?? 'v'));
        const text = fixed.map((r) => r.map(quoteCsvField).join(',')).join(eol) + eol;
        const positions = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const tokenizer = new CsvTokenizer('t.csv');
        const got: string[][] = [];
        const sink = (f: string[]) => got.push(f);
        let prev = 0;
        for (const p of positions) {
          tokenizer.push(text.slice(prev, p), sink);
          prev = p;
        }
        tokenizer.push(text.slice(prev), sink);
        tokenizer.end(sink);
        expect(got).toEqual(fixed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('issue 13 defect 8: a record spanning many chunks is parsed once (linear, not quadratic)', () => {
  /** Characters handed to the record parser while tokenizing `chunks`. */
  function parsedCharacters(chunks: string[]): { parsed: number; fields: string[][] } {
    const proto = CsvTokenizer.prototype as unknown as { parse: (text: string, final: boolean, sink: unknown) => number };
    const original = proto.parse;
    let parsed = 0;
    proto.parse = function (this: unknown, text: string, final: boolean, sink: unknown) {
      parsed += text.length;
      return original.call(this, text, final, sink);
    };
    try {
      const fields: string[][] = [];
      const tokenizer = new CsvTokenizer('long.csv');
      for (const chunk of chunks) tokenizer.push(chunk, (f) => fields.push(f));
      tokenizer.end((f) => fields.push(f));
      return { parsed, fields };
    } finally {
      proto.parse = original;
    }
  }

  it.each([
    ['an unquoted field', '', 'x'.repeat(1000), ''],
    ['a quoted field with escaped quotes, commas and newlines', '"', 'a""b,c\n'.repeat(125), '"'],
  ])('%s of 1000 chunks', (_name, open, body, close) => {
    const chunks = ['h,y\n' + open, ...Array.from({ length: 1000 }, () => body), close + ',1\n'];
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const { parsed, fields } = parsedCharacters(chunks);
    expect(fields).toHaveLength(2);
    expect(fields[1][1]).toBe('1');
    // Each character is parsed at most about once (the old tokenizer re-parsed the pending record per chunk: ~500×).
    expect(parsed).toBeLessThan(2 * total);
  });
});
