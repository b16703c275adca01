/** The privacy receipt in plain language, for the custodian and the people they answer to. */
import type { Receipt } from '../../src/privacy/receipt.js';
import { formatNumber } from './dom.js';

export function receiptInPlainLanguage(receipt: Receipt): string[] {
  const eps = receipt.epsilon;
  const lines: string[] = [];
  if (typeof eps === 'number') {
    lines.push(
      `Guarantee: (ε = ${formatNumber(eps)}, δ = ${receipt.delta})-differential privacy for each patient. Whatever anyone learns ` +
        `from the synthetic table, they would have been about as likely to learn had that patient's record never been in the file: ` +
        `the odds of any conclusion change by at most a factor of e^ε ≈ ${formatNumber(Math.exp(eps))}, except with probability δ.`,
    );
  } else {
    lines.push('No privacy guarantee: this run used ε = ∞ (no noise), so the table may reveal individual patients.');
  }
  lines.push(
    receipt.private_release
      ? 'This is a valid private release: the noise came from a cryptographically secure source and every look at the records was charged.'
      : `This is NOT a private release: ${receipt.reasons_not_private.join('; ')}. Do not share it as private data.`,
  );
  lines.push(`How the budget was spent (${receipt.accountant.toUpperCase()} accountant), in the order it was charged:`);
  for (const e of receipt.entries) {
    const what = e.purpose ?? e.name;
    const after = typeof e.epsilon_after === 'number' ? formatNumber(e.epsilon_after) : e.epsilon_after;
    lines.push(`${what} — total ε after this: ${after}.`);
  }
  lines.push(
    'What is public by assumption: the card (column names, types, categories and any bounds typed in), the settings above and ' +
      'the software version. Everything else in the table and this receipt comes from noisy, charged measurements.',
  );
  lines.push(`Input fingerprint (SHA-256 of the file, keep it to match this receipt to your data): ${receipt.input_fingerprint.hex}.`);
  lines.push(`Software: ${receipt.software.name} ${receipt.software.version}; created ${receipt.created_at}.`);
  for (const w of receipt.warnings) lines.push(`Warning: ${w}`);
  return lines;
}
