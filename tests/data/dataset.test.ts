import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS_DIR, loadBundledDataset } from '../../src/node/bundled.js';
import { CardError } from '../../src/data/card.js';
import { assembleDataset, parseSplit } from '../../src/data/dataset.js';
import { DataError } from '../../src/data/errors.js';

const read = (file: string) => readFileSync(join(DATASETS_DIR, file), 'utf8');

describe('assembleDataset (texts → tables, no file system)', () => {
  it('builds the same tables and fingerprint from texts as the CLI loader builds from the files', async () => {
    const fromFiles = await loadBundledDataset('metabric');
    const fromTexts = await assembleDataset({
      card: read('metabric.json'),
      csv: read('metabric.csv'),
      split: read('metabric.split.json'),
      sources: { csv: 'metabric.csv' },
    });
    expect(fromTexts.sha256).toBe(fromFiles.sha256);
    expect(Array.from(fromTexts.testIndices)).toEqual(Array.from(fromFiles.testIndices));
    expect(fromTexts.train.nRows).toBe(fromFiles.train.nRows);
    expect(Array.from(fromTexts.train.time!)).toEqual(Array.from(fromFiles.train.time!));
    expect(Array.from(fromTexts.test.features[0].values)).toEqual(Array.from(fromFiles.test.features[0].values));
  });

  it('fingerprints text as its UTF-8 bytes, and without a split trains on every row', async () => {
    const card = read('pima.json');
    const text = read('pima.csv');
    const a = await assembleDataset({ card, csv: text, sources: { csv: 'a.csv' } });
    const b = await assembleDataset({ card, csv: new TextEncoder().encode(text), sources: { csv: 'b.csv' } });
    expect(a.sha256).toBe(b.sha256);
    expect(a.train.nRows).toBe(768);
    expect(a.test.nRows).toBe(0);
  });

  it('names the source, row and column of a bad cell, and rejects bad cards, splits and bytes', async () => {
    const lines = read('pima.csv').split('\n');
    lines[5] = lines[5].replace(/^[^,]*,[^,]*/, (m) => m.split(',')[0] + ',abc');
    const bad = assembleDataset({ card: read('pima.json'), csv: lines.join('\n'), sources: { csv: 'mine.csv' } });
    await expect(bad).rejects.toThrow(DataError);
    await expect(bad).rejects.toMatchObject({ file: 'mine.csv', row: 5, column: 'glucose' });
    await expect(assembleDataset({ card: '{', csv: 'a\n1', sources: { csv: 'x.csv', card: 'x.json' } })).rejects.toThrow(CardError);
    await expect(assembleDataset({ card: read('pima.json'), csv: new Uint8Array([0xff, 0xfe, 0x41]), sources: { csv: 'bin.csv' } })).rejects.toThrow(/not valid UTF-8/);
    expect(() => parseSplit('{"test": [0, 0]}', 's.json', 3)).toThrow(/listed twice/);
    expect(() => parseSplit('{"test": [3]}', 's.json', 3)).toThrow(/not a row of the 3-row table/);
    expect(() => parseSplit('[]', 's.json', 3)).toThrow(/expected/);
  });
});
