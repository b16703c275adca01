/**
 * Parquet input (issue 12): a Parquet file reads as the CSV it would export to — same records, same
 * table, byte-identical condensation for a seed — and a bad or unsupported file is a clear error
 * naming the file (and the column, or the row and column). The fixture and its CSV come from
 * tools/fixtures/writeParquetFixture.mjs.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCard } from '../../src/data/card.js';
import { CsvTokenizer } from '../../src/data/csv.js';
import { assembleDataset } from '../../src/data/dataset.js';
import { inferCardFromRecords, inferCardFromText } from '../../src/data/inferCard.js';
import { deliverParquetRecords, readParquetRecords } from '../../src/data/parquet.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { loadCsvDataset } from '../../src/node/bundled.js';
import { runCli } from '../cli/runCli.js';

const FIXTURES = new URL('../fixtures/parquet/', import.meta.url).pathname;
const parquetPath = join(FIXTURES, 'cohort.parquet');
const csvPath = join(FIXTURES, 'cohort.csv');
const cardPath = join(FIXTURES, 'cohort.json');
const dir = mkdtempSync(join(tmpdir(), 'dpc-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  const tokenizer = new CsvTokenizer('cohort.csv');
  tokenizer.push(text, (fields) => records.push(fields));
  tokenizer.end((fields) => records.push(fields));
  return records;
}

function writeParquet(name: string, columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData'], schema?: Parameters<typeof parquetWriteBuffer>[0]['schema']): string {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData, schema })));
  return path;
}

describe('readParquetRecords (isomorphic: bytes in, records out)', () => {
  it('gives, cell for cell, the records of the equal CSV (three row groups; nulls, booleans, FLOAT, INT64)', async () => {
    const records = await readParquetRecords(new Uint8Array(readFileSync(parquetPath)), 'cohort.parquet');
    const csv = csvRecords(readFileSync(csvPath, 'utf8'));
    expect(records.header).toEqual(csv[0]);
    expect(records.rows).toBe(csv.length - 1);
    for (let r = 0; r < records.rows; r++) expect([...records.record(r)]).toEqual(csv[r + 1]);
  });

  it('loads to the same table as the CSV', async () => {
    const card = parseCard(JSON.parse(readFileSync(cardPath, 'utf8')));
    const fromParquet = await loadCsvDataset(parquetPath, card);
    const fromCsv = readTableFromTextSync(readFileSync(csvPath, 'utf8'), card, { source: 'cohort.csv' }).table;
    expect(fromParquet.table.nRows).toBe(120);
    expect(Array.from(fromParquet.table.label!)).toEqual(Array.from(fromCsv.label!));
    fromCsv.features.forEach((column, j) => {
      expect(Array.from(fromParquet.table.features[j].values)).toEqual(Array.from(column.values));
      expect(Array.from(fromParquet.table.features[j].missing)).toEqual(Array.from(column.missing));
    });
    expect(fromParquet.report.missing).toEqual({ age: 7, bmi: 5, sex: 0, smoker: 0, visits: 0, sodium: 0 });
  });
});

describe('the isomorphic entry points the browser app uses read Parquet bytes', () => {
  it('assembleDataset reads Parquet bytes (by their magic number) to the CSV\'s table, and inferCardFromRecords drafts the CSV\'s card', async () => {
    const bytes = new Uint8Array(readFileSync(parquetPath));
    const card = readFileSync(cardPath, 'utf8');
    const fromParquet = await assembleDataset({ card, csv: bytes, sources: { csv: 'cohort.parquet' } });
    const fromCsv = await assembleDataset({ card, csv: readFileSync(csvPath, 'utf8'), sources: { csv: 'cohort.csv' } });
    expect(fromParquet.table.nRows).toBe(120);
    expect(Array.from(fromParquet.table.label!)).toEqual(Array.from(fromCsv.table.label!));
    fromCsv.table.features.forEach((column, j) => expect(Array.from(fromParquet.table.features[j].values)).toEqual(Array.from(column.values)));
    expect(fromParquet.report.missing).toEqual(fromCsv.report.missing);
    const records = await readParquetRecords(bytes, 'cohort.parquet');
    const options = { name: 'cohort', source: 'cohort', label: 'readmitted', positive: 'yes' };
    expect(inferCardFromRecords((sink) => deliverParquetRecords(records, sink), options)).toEqual(inferCardFromText(readFileSync(csvPath, 'utf8'), options));
  });
});

describe('the CLI reads Parquet wherever it reads a CSV', () => {
  it('condense: a Parquet file and the equal CSV give byte-identical outputs for a seed', async () => {
    const outputs: Record<string, { csv: string; receipt: Record<string, unknown> }> = {};
    for (const input of [parquetPath, csvPath]) {
      const out = join(dir, `from-${input.endsWith('.csv') ? 'csv' : 'parquet'}.csv`);
      const { code, stderr } = await runCli('condense', '--data', input, '--card', cardPath, '--rows', '10', '--steps', '3', '--directions', '2', '--seed', '3', '--out', out, '--quiet', '--workers', '1', '--fingerprint-key', join(dir, 'k.key'));
      expect(code, stderr).toBe(0);
      const receipt = JSON.parse(readFileSync(out.replace(/\.csv$/, '.receipt.json'), 'utf8'));
      // The input fingerprint identifies the file's bytes, which differ; so does the clock.
      delete receipt.input_fingerprint;
      delete receipt.created_at;
      outputs[input] = { csv: readFileSync(out, 'utf8'), receipt };
    }
    expect(outputs[parquetPath].csv).toBe(outputs[csvPath].csv);
    expect(outputs[parquetPath].receipt).toEqual(outputs[csvPath].receipt);
  });

  it('card drafts the same card from the Parquet file as from the CSV; describe and evaluate read it', async () => {
    const drafts: string[] = [];
    for (const input of [parquetPath, csvPath]) {
      const out = join(dir, `draft-${drafts.length}.json`);
      const { code, stderr } = await runCli('card', input, '--label', 'readmitted', '--positive', 'yes', '--out', out);
      expect(code, stderr).toBe(0);
      // The note names the source file; everything else must agree.
      drafts.push(readFileSync(out, 'utf8').replace(input, 'INPUT'));
    }
    expect(drafts[0]).toBe(drafts[1]);
    expect(JSON.parse(drafts[0]).features.map((f: { type: string }) => f.type)).toEqual(['numeric', 'numeric', 'binary', 'binary', 'integer', 'integer']);

    const described = await runCli('describe', parquetPath); // card: cohort.json beside it
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/Rows\s+120/);

    const synthetic = join(dir, 'from-csv.csv');
    const evaluated = await runCli('evaluate', '--synthetic', synthetic, '--data', parquetPath, '--card', cardPath, '--test', parquetPath, '--models', 'cart', '--bootstrap', '20');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/scored on 120 real test rows/);
  });
});

describe('bad or unsupported Parquet is a clear error (exit 1), never a coercion', () => {
  const card = ['--card', cardPath, '--rows', '10', '--steps', '1', '--directions', '2', '--seed', '1', '--quiet', '--fingerprint-key', join(dir, 'k.key')];
  const condense = (data: string) => runCli('condense', '--data', data, ...card, '--out', join(dir, 'never.csv'));

  it('a truncated file, or junk between the magic numbers, names the file', async () => {
    const bytes = readFileSync(parquetPath);
    const truncated = join(dir, 'truncated.parquet');
    writeFileSync(truncated, bytes.subarray(0, 1500));
    const r1 = await condense(truncated);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^error: .*truncated\.parquet: not a Parquet file \(it must start and end with "PAR1"\)/);
    const junk = join(dir, 'junk.parquet');
    writeFileSync(junk, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from([16, 0, 0, 0]), Buffer.from('PAR1')]));
    const r2 = await condense(junk);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/junk\.parquet: unreadable Parquet metadata/);
  });

  it('Parquet bytes are recognised by their magic number whatever the file is called', async () => {
    const disguised = join(dir, 'disguised.csv');
    copyFileSync(parquetPath, disguised);
    const { code, stderr } = await runCli('describe', disguised, '--card', cardPath);
    expect(code, stderr).toBe(0);
  });

  it('a value the card refuses names its row and column, as for a CSV', async () => {
    const age = [40, 50, 60, 70, 30, 45, 150, 55];
    const path = writeParquet('bad-age.parquet', [
      { name: 'age', data: age, type: 'DOUBLE' },
      { name: 'bmi', data: age.map(() => 25), type: 'DOUBLE' },
      { name: 'sex', data: age.map((_, i) => (i % 2 ? 'F' : 'M')), type: 'STRING' },
      { name: 'smoker', data: age.map((_, i) => i % 3 === 0), type: 'BOOLEAN' },
      { name: 'visits', data: age.map(() => 1), type: 'INT32' },
      { name: 'sodium', data: age.map(() => 140), type: 'INT32' },
      { name: 'readmitted', data: age.map((_, i) => (i % 2 ? 'yes' : 'no')), type: 'STRING' },
    ]);
    const { code, stderr } = await condense(path);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad-age\.parquet: row 7, column "age": .*150/);
  });

  it('dates, decimals, binary and nested columns are refused by name', async () => {
    const dates = writeParquet('dates.parquet', [{ name: 'admitted', data: [new Date(0), new Date(86400000)], type: 'TIMESTAMP' }]);
    const r1 = await runCli('card', dates, '--label', 'admitted');
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/dates\.parquet: column "admitted": Parquet timestamp_millis columns are not accepted \(numbers, strings, booleans and nulls are\)/);
    const decimal = writeParquet('decimal.parquet', [{ name: 'dose', data: [125, 250] }], [
      { name: 'root', num_children: 1 },
      { name: 'dose', type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'DECIMAL', scale: 1, precision: 4 },
    ]);
    const r2 = await runCli('card', decimal, '--label', 'dose');
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/column "dose": Parquet decimal columns are not accepted/);
    const bytes = writeParquet('bytes.parquet', [{ name: 'blob', data: [Uint8Array.of(1), Uint8Array.of(2)], type: 'BYTE_ARRAY' }]);
    expect((await runCli('card', bytes, '--label', 'blob')).stderr).toMatch(/column "blob": Parquet binary/);
  });
});
