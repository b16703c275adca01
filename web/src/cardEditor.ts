/**
 * Review and edit a drafted (or bundled) card: per feature its type, its categories and its public
 * bounds. A numeric feature without bounds is flagged in words: its bounds will be estimated under
 * DP, which spends part of ε. The editor returns a plain card object; validation happens in the
 * core (`parseCard`) when the run starts, with the same messages as the CLI.
 */
import type { DatasetCard, FeatureSpec } from '../../src/data/card.js';
import { h } from './dom.js';

type Feature = FeatureSpec;

export function renderCardEditor(container: HTMLElement, card: DatasetCard, onChange: (card: DatasetCard) => void): void {
  const features: Feature[] = card.features.map((f) => ({ ...f }));
  const emit = () => {
    onChange({ ...card, features: features.map((f) => ({ ...f })) } as DatasetCard);
    updateSummary();
  };
  const summary = h('p', { id: 'bounds-summary', 'aria-live': 'polite' });
  const updateSummary = () => {
    const missing = features.filter((f) => (f.type === 'numeric' || f.type === 'integer') && !f.bounds).map((f) => f.name);
    summary.textContent = missing.length
      ? `⚠ ${missing.length} numeric feature(s) have no public bounds (${missing.join(', ')}). Their ranges will be estimated privately, which costs part of the budget ε. Type in ranges that are publicly known (coding or physiological limits), never values read off your data.`
      : '✓ Every numeric feature has public bounds: no budget is spent estimating ranges.';
  };
  const outcome = card.task === 'classification' ? `binary outcome "${card.label}" (positive class: ${String(card.positive)})` : `time to event: time "${card.time}", event "${card.event}"`;
  const body = h('tbody', {});
  features.forEach((f, i) => body.append(featureRow(f, i, features, emit)));
  container.replaceChildren(
    h('p', {}, `Dataset “${card.name}”, ${outcome}. Everything on this card is treated as public knowledge.`),
    summary,
    h(
      'table',
      { class: 'card-table' },
      h('caption', { class: 'visually-hidden' }, 'Features of the dataset card'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Feature'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Categories (comma-separated)'), h('th', { scope: 'col' }, 'Public lower bound'), h('th', { scope: 'col' }, 'Public upper bound'), h('th', { scope: 'col' }, 'Status'))),
      body,
    ),
  );
  updateSummary();
}

function featureRow(f: Feature, i: number, features: Feature[], emit: () => void): HTMLTableRowElement {
  const id = (what: string) => `feature-${i}-${what}`;
  const status = h('td', { class: 'status' });
  const isNumeric = () => f.type === 'numeric' || f.type === 'integer';
  const low = h('input', { id: id('low'), type: 'number', step: 'any', value: f.bounds ? f.bounds[0] : '', 'aria-label': `${f.name}: public lower bound` });
  const high = h('input', { id: id('high'), type: 'number', step: 'any', value: f.bounds ? f.bounds[1] : '', 'aria-label': `${f.name}: public upper bound` });
  const categories = h('input', { id: id('categories'), type: 'text', value: (f.categories ?? []).join(', '), 'aria-label': `${f.name}: categories` });
  const type = h(
    'select',
    { id: id('type'), 'aria-label': `${f.name}: type` },
    ...(['numeric', 'integer', 'binary', 'categorical'] as const).map((t) => h('option', { value: t, selected: t === f.type }, t)),
  );
  const refresh = () => {
    low.disabled = high.disabled = !isNumeric();
    categories.disabled = isNumeric();
    if (!isNumeric()) status.textContent = f.categories?.length ? `${f.categories.length} categories` : 'categories read from the data';
    else if (f.bounds) status.textContent = '✓ public bounds';
    else status.textContent = '⚠ no bounds: costs budget';
    status.className = `status ${isNumeric() && !f.bounds ? 'warn' : 'ok'}`;
  };
  const readBounds = () => {
    const a = low.value.trim() === '' ? NaN : Number(low.value);
    const b = high.value.trim() === '' ? NaN : Number(high.value);
    f.bounds = Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
    refresh();
    emit();
  };
  low.addEventListener('change', readBounds);
  high.addEventListener('change', readBounds);
  categories.addEventListener('change', () => {
    const list = categories.value.split(',').map((s) => s.trim()).filter(Boolean);
    f.categories = list.length ? list.map((s) => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : s)) : undefined;
    refresh();
    emit();
  });
  type.addEventListener('change', () => {
    f.type = type.value as Feature['type'];
    if (isNumeric()) delete f.categories;
    else f.bounds = undefined;
    refresh();
    emit();
  });
  features[i] = f;
  refresh();
  return h('tr', {}, h('th', { scope: 'row' }, f.name), h('td', {}, type), h('td', {}, categories), h('td', {}, low), h('td', {}, high), status);
}
