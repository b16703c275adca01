/**
 * The bundled datasets, imported as text at build time so the page needs no network request.
 */
const texts = import.meta.glob('../../datasets/*.{csv,json}', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface BundledDataset {
  name: string;
  csv: string;
  card: string;
  split: string;
}

export const BUNDLED_DATASETS: BundledDataset[] = Object.keys(texts)
  .filter((path) => path.endsWith('.csv'))
  .map((path) => {
    const base = path.slice(0, -'.csv'.length);
    return { name: base.split('/').pop()!, csv: texts[path], card: texts[`${base}.json`], split: texts[`${base}.split.json`] };
  })
  .filter((d) => d.card !== undefined && d.split !== undefined)
  .sort((a, b) => a.name.localeCompare(b.name));
