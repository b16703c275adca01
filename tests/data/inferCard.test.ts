import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.js';
import { inferCardFromText } from '../../src/data/inferCard.js';

const CSV = [
  'id,age,sex,visits,stage,smoker,note,weight,allmissing,outcome',
  '1,50.5,0,2,I,yes,a,70,,1',
  '2,61,1,0,III,no,b,80.2,NA,0',
  '3,33,1,10,II,no,c,,,0',
  '4,40,0,1,I,yes,d,65,,1',
].join('\n');

describe('inferCardFromText', () => {
  it('infers types by the documented rules and never fills bounds', () => {
    const { card, notes } = inferCardFromText(CSV, { name: 'x', source: 'x.csv', label: 'outcome', exclude: ['id', 'note'] });
    expect(card.task).toBe('classification');
    if (card.task !== 'classification') return;
    expect(card.positive).toBe(1);
    const byName = Object.fromEntries(card.features.map((f) => [f.name, f]));
    expect(Object.keys(byName)).toEqual(['age', 'sex', 'visits', 'stage', 'smoker', 'weight', 'allmissing']);
    expect(byName.age).toEqual({ name: 'age', type: 'numeric', bounds: null });
    expect(byName.sex).toEqual({ name: 'sex', type: 'binary', categories: [0, 1] });
    expect(byName.visits).toEqual({ name: 'visits', type: 'integer', bounds: null });
    expect(byName.stage).toEqual({ name: 'stage', type: 'categorical', categories: ['I', 'II', 'III'] });
    expect(byName.smoker).toEqual({ name: 'smoker', type: 'binary', categories: ['no', 'yes'] });
    expect(byName.weight).toEqual({ name: 'weight', type: 'numeric', bounds: null });
    expect(byName.allmissing.type).toBe('numeric');
    expect(card.rows).toBeUndefined();
    expect(card.note).toMatch(/Bounds are null/);
    expect(notes.join('\n')).toMatch(/"allmissing" has no observed value/);
  });

  it('infers the positive label only when unambiguous, else asks for it', () => {
    const yesNo = 'a,y\n1,no\n2,yes\n';
    const draft = inferCardFromText(yesNo, { name: 'x', source: 'x.csv', label: 'y' });
    expect(draft.card.task === 'classification' && draft.card.positive).toBe('yes');
    const ab = 'a,y\n1,A\n2,B\n';
    expect(() => inferCardFromText(ab, { name: 'x', source: 'x.csv', label: 'y' })).toThrow(/pass --positive/);
    const given = inferCardFromText(ab, { name: 'x', source: 'x.csv', label: 'y', positive: 'B' });
    expect(given.card.task === 'classification' && given.card.positive).toBe('B');
    expect(() => inferCardFromText(ab, { name: 'x', source: 'x.csv', label: 'y', positive: 'C' })).toThrow(/--positive "C" is not one of/);
  });

  it('rejects a label with other than two classes, naming row and column', () => {
    try {
      inferCardFromText('a,y\n1,0\n2,1\n3,2\n', { name: 'x', source: 'x.csv', label: 'y' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      expect([(error as DataError).row, (error as DataError).column]).toEqual([3, 'y']);
    }
    expect(() => inferCardFromText('a,y\n1,0\n2,0\n', { name: 'x', source: 'x.csv', label: 'y' })).toThrow(/1 distinct value/);
  });

  it('checks survival outcomes by reading the file with the draft', () => {
    const ok = inferCardFromText('age,t,e\n50,10,1\n60,5,0\n', { name: 's', source: 's.csv', time: 't', event: 'e' });
    expect(ok.card.task).toBe('survival');
    expect(() => inferCardFromText('age,t,e\n50,10,0\n60,5,0\n', { name: 's', source: 's.csv', time: 't', event: 'e' })).toThrow(/all 2 rows are censored/);
    expect(() => inferCardFromText('age,t,e\n50,10,1\n60,-2,0\n', { name: 's', source: 's.csv', time: 't', event: 'e' })).toThrow(/row 2, column "t"/);
  });

  it('refuses text columns with too many levels and unknown outcome columns', () => {
    const rows = Array.from({ length: 25 }, (_, i) => `v${i},${i % 2}`).join('\n');
    expect(() => inferCardFromText(`code,y\n${rows}\n`, { name: 'x', source: 'x.csv', label: 'y' })).toThrow(/row 1, column "code": "v0" is not a number, and the column has more than 20 distinct values/);
    expect(inferCardFromText(`code,y\n${rows}\n`, { name: 'x', source: 'x.csv', label: 'y', maxLevels: 30 }).card.features[0].type).toBe('categorical');
    expect(() => inferCardFromText('a,b\n1,2\n', { name: 'x', source: 'x.csv', label: 'y' })).toThrow(/no column named "y"/);
    expect(() => inferCardFromText('a,b\n1,2\n', { name: 'x', source: 'x.csv', label: 'b', time: 'a' })).toThrow(/either a label column/);
  });
});
