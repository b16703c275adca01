/** Small cards and CSV builders shared by the data tests. */
import { parseCard, type DatasetCard } from '../../src/data/card.js';

export const classificationCard: DatasetCard = parseCard({
  name: 'toy',
  task: 'classification',
  label: 'outcome',
  positive: 1,
  features: [
    { name: 'age', type: 'numeric', bounds: [18, 100] },
    { name: 'visits', type: 'integer', bounds: [0, 50] },
    { name: 'smoker', type: 'binary', categories: ['no', 'yes'] },
    { name: 'stage', type: 'categorical', categories: ['I', 'II', 'III'] },
    { name: 'code', type: 'categorical', categories: [0, 1, 2] },
    { name: 'marker', type: 'numeric' },
  ],
});

export const survivalCard: DatasetCard = parseCard({
  name: 'toysurv',
  task: 'survival',
  time: 'time',
  event: 'event',
  features: [
    { name: 'age', type: 'numeric', bounds: [18, 100] },
    { name: 'treated', type: 'binary' },
  ],
});

export const CLASSIFICATION_HEADER = 'age,visits,smoker,stage,code,marker,outcome';

/** A valid classification CSV with the given data lines (default: three good rows). */
export function classificationCsv(lines: string[] = ['50,2,no,I,0,1.5,1', '61.5,0,yes,III,2,,0', '33,10,no,II,1,-3,0']): string {
  return [CLASSIFICATION_HEADER, ...lines].join('\n') + '\n';
}

export function survivalCsv(lines: string[] = ['50,0,100,1', '60,1,20.5,0']): string {
  return ['age,treated,time,event', ...lines].join('\n') + '\n';
}
