/**
 * The bundled datasets, imported as text at build time so the page needs no network request.
 * Only those with training rows are offered: an external validation cohort (gbsg) has every row
 * in its test split (its card's public row count says so), so there would be nothing to condense.
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
  .filter((d) => (JSON.parse(d.split) as { test: unknown[] }).test.length < ((JSON.parse(d.card) as { rows?: number }).rows ?? Infinity))
  .sort((a, b) => a.name.localeCompare(b.name));
