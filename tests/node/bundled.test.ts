import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listBundledDatasets, loadBundledDataset, loadBundledCard, loadCsvDataset, DATASETS_DIR } from '../../src/node/bundled.js';
import { DataError } from '../../src/data/errors.js';
import { countLines } from '../../src/node/files.js';
import { readFileSync } from 'node:fs';

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpc-load-'));
  tempDirs.push(dir);
  return dir;
}

const EXPECTED_ROWS: Record<string, number> = {
  pima: 768,
  wdbc: 569,
  physionet2012: 4000,
  support: 8873,
  metabric: 1904,
  rotterdam: 2982,
  gbsg: 686,
};

/**
 * Defects in the bundled data as shipped (reported to the lead; the data is not ours to edit).
 * Each entry asserts the exact error the loader gives today; when the data or card is fixed the
 * load succeeds, this test fails, and the entry must be removed.
 */

describe('bundled datasets', () => {
  it('lists the seven datasets', () => {
    expect(listBundledDatasets()).toEqual(Object.keys(EXPECTED_ROWS).sort());
  });

  for (const [name, rows] of Object.entries(EXPECTED_ROWS)) {
    it(`${name}: loads with ${rows} rows, its split, and values inside the card bounds`, async () => {
      const d = await loadBundledDataset(name);
      expect(d.table.nRows).toBe(rows);
      expect(d.card.rows).toBe(rows);
      expect(d.train.nRows + d.test.nRows).toBe(rows);
      expect(d.test.nRows).toBe(d.testIndices.length);
      expect(d.report.ignoredColumns).toEqual([]);
      expect(d.sha256).toBe(createHash('sha256').update(readFileSync(join(DATASETS_DIR, `${name}.csv`))).digest('hex'));
      expect(d.bytes.length).toBeGreaterThan(0);
      // The loader enforces bounds; check independently that every stored value is inside them.
      for (const column of d.table.features) {
        const b = column.spec.bounds;
        if (!b) continue;
        // Read once: a row-major table's column values are a copy made on each read.
        const { values, missing } = column;
        for (let i = 0; i < d.table.nRows; i++) {
          if (missing[i]) continue;
          expect(values[i] >= b[0] && values[i] <= b[1]).toBe(true);
        }
      }
      // The first test row of the split is the table row it names.
      const first = d.testIndices[0];
      expect(d.test.features[0].values[0]).toEqual(d.table.features[0].values[first]);
    });
  }

  it('train/test sizes match the reference fixtures', async () => {
    const reference = JSON.parse(readFileSync(new URL('../fixtures/reference/classification.json', import.meta.url), 'utf8'));
    for (const name of ['pima', 'wdbc', 'physionet2012']) {
      const d = await loadBundledDataset(name);
      expect([d.train.nRows, d.test.nRows]).toEqual([reference[name].n_train, reference[name].n_test]);
    }
    const survival = JSON.parse(readFileSync(new URL('../fixtures/reference/survival.json', import.meta.url), 'utf8'));
    const d = await loadBundledDataset('rotterdam');
    expect([d.train.nRows, d.test.nRows]).toEqual([survival.rotterdam.n_train, survival.rotterdam.n_test]);
  });

  it('gbsg is all test (external validation cohort)', async () => {
    const d = await loadBundledDataset('gbsg');
    expect(d.train.nRows).toBe(0);
    expect(d.test.nRows).toBe(686);
  });

  it('rejects an unknown name, listing the bundled ones', async () => {
    await expect(loadBundledDataset('nope')).rejects.toThrow(/"nope" is not a bundled dataset \(bundled: gbsg, metabric/);
    await expect(loadBundledCard('../etc')).rejects.toBeInstanceOf(DataError);
  });
});

describe('loadCsvDataset', () => {
  it('streams a user CSV with its card; no split; fingerprint of the bytes', async () => {
    const dir = tempDir();
    const csv = join(dir, 'x.csv');
    const text = '\uFEFFage,time,event\r\n50,10,1\r\n"60",20,0\r\n';
    writeFileSync(csv, text);
    writeFileSync(
      join(dir, 'x.json'),
      JSON.stringify({ name: 'x', task: 'survival', time: 'time', event: 'event', features: [{ name: 'age', type: 'numeric', bounds: [0, 120] }] }),
    );
    const d = await loadCsvDataset(csv, join(dir, 'x.json'));
    expect(d.table.nRows).toBe(2);
    expect(Array.from(d.table.features[0].values)).toEqual([50, 60]);
    expect(d.test.nRows).toBe(0);
    expect(d.train).toBe(d.table);
    expect(d.sha256).toBe(createHash('sha256').update(Buffer.from(text)).digest('hex'));
    expect(Buffer.from(d.bytes).toString()).toBe(text);
    const lean = await loadCsvDataset(csv, join(dir, 'x.json'), { keepBytes: false });
    expect(lean.bytes.length).toBe(0);
    expect(lean.sha256).toBe(d.sha256);
  });

  it('decodes multi-byte characters split across 1 MiB read chunks', async () => {
    const dir = tempDir();
    const csv = join(dir, 'big.csv');
    // Each data line is 'é,1,1\n' = 7 bytes; 1 MiB = 1048576 is not a multiple of 7, and the header
    // shifts the phase so that the boundary falls inside a 2-byte 'é' (checked below).
    const header = 'ward,t,ev\n';
    const rows = 160_000;
    const text = header + 'é,1,1\n'.repeat(rows) + 'è,2,0\n';
    writeFileSync(csv, text);
    const bytes = Buffer.from(text);
    expect(bytes[1 << 20] & 0xc0).toBe(0x80); // a UTF-8 continuation byte starts the second chunk
    writeFileSync(
      join(dir, 'big.json'),
      JSON.stringify({ name: 'big', task: 'survival', time: 't', event: 'ev', features: [{ name: 'ward', type: 'categorical', categories: ['é', 'è'] }] }),
    );
    const d = await loadCsvDataset(csv, join(dir, 'big.json'), { keepBytes: false });
    expect(d.table.nRows).toBe(rows + 1);
    expect(d.table.features[0].values[rows]).toBe(1);
    expect(Array.from(d.table.features[0].values).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('counts lines for the storage hint (a last line without a line feed counts) and loads float32 features', async () => {
    const dir = tempDir();
    const texts: [string, number][] = [['', 0], ['a\n', 1], ['a\nb', 2], ['a\r\nb\r\n', 2], ['"x\ny"\n\n', 3]];
    for (const [text, lines] of texts) {
      writeFileSync(join(dir, 'lines.csv'), text);
      expect(await countLines(join(dir, 'lines.csv'))).toBe(lines);
    }
    writeFileSync(join(dir, 'f.csv'), 'a,t,e\n0.1,1,1\n2,3,0');
    writeFileSync(join(dir, 'f.json'), JSON.stringify({ name: 'f', task: 'survival', time: 't', event: 'e', features: [{ name: 'a', type: 'numeric' }] }));
    const d = await loadCsvDataset(join(dir, 'f.csv'), join(dir, 'f.json'), { featureStorage: 'float32' });
    expect(d.table.features[0].values).toBeInstanceOf(Float32Array);
    expect(Array.from(d.table.features[0].values)).toEqual([Math.fround(0.1), 2]);
    expect(Array.from(d.table.time!)).toEqual([1, 3]);
  });

  it('names the file when it does not exist or is not UTF-8', async () => {
    const dir = tempDir();
    const card = join(dir, 'c.json');
    writeFileSync(card, JSON.stringify({ name: 'x', task: 'survival', time: 't', event: 'e', features: [{ name: 'a', type: 'numeric' }] }));
    await expect(loadCsvDataset(join(dir, 'missing.csv'), card)).rejects.toThrow(/missing\.csv: file not found/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, Buffer.from([0x61, 0x2c, 0x74, 0x2c, 0x65, 0x0a, 0xff, 0xfe, 0x2c, 0x31, 0x2c, 0x31, 0x0a]));
    await expect(loadCsvDataset(bad, card)).rejects.toThrow(/bad\.csv: the file is not valid UTF-8/);
  });
});
