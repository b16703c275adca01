/** Files the page hands to the user: made in memory, saved through a download link (no request). */
import type { CondenseJobResult } from '../../src/condense/job.js';
import styles from './style.css?inline';

export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A self-contained HTML report: the results as the page shows them (tables, inline SVG charts,
 * the receipt in plain language) with the page's styles inlined, plus the receipt itself.
 */
export function reportHtml(result: CondenseJobResult, resultsBody: HTMLElement): string {
  const card = result.condensed.synthetic.card;
  const body = resultsBody.cloneNode(true) as HTMLElement;
  body.querySelectorAll('[tabindex]').forEach((el) => el.removeAttribute('tabindex'));
  const receipt = escapeHtml(result.receiptJson);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dpcondense report: ${escapeHtml(card.name)}</title>
<style>${styles}</style>
</head>
<body>
<main>
<h1>dpcondense report: ${escapeHtml(card.name)}</h1>
${body.innerHTML}
<section><h3>The receipt (JSON)</h3><pre>${receipt}</pre></section>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
