/**
 * The report in a real browser: Debian's Chromium, headless, through playwright-core (`.ci/run`
 * installs Chromium when missing; CHROMIUM_PATH overrides the location). The page must load
 * without a single network request and show its charts.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { compareOnHeldOut } from '../../src/condense/evaluation.js';
import { condense } from '../../src/condense/condense.js';
import { parseCard } from '../../src/data/card.js';
import { readTableFromTextSync } from '../../src/data/ingest.js';
import { splitTable } from '../../src/data/table.js';
import { renderReport } from '../../src/report/render.js';
import { CLINIC_CARD, clinicCsv } from '../fixtures/ownData.js';

const dir = mkdtempSync(join(tmpdir(), 'dpc-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
  if (!path) throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  return path;
}

describe('the HTML report in headless Chromium', () => {
  it('opens with no network request, renders every chart, and prints', { timeout: 120_000 }, async () => {
    const card = parseCard(CLINIC_CARD);
    const { table } = readTableFromTextSync(clinicCsv({ rows: 200 }), card, { source: 'clinic.csv' });
    const { train, test } = splitTable(table, Int32Array.from({ length: 50 }, (_, i) => 4 * i));
    const result = await condense({ train, rows: 20, epsilon: 3, steps: 4, directions: 2, seed: 1 });
    const evaluation = compareOnHeldOut({ synthetic: result.synthetic, train, test, learners: ['logistic', 'cart'], replicates: 50 });
    const file = join(dir, 'report.html');
    writeFileSync(file, await renderReport({ card, receipt: result.receipt, synthetic: result.synthetic, released: result.released, trace: result.trace, evaluation }));

    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(errors).toEqual([]);
      // Five charts (four features, the trace), each laid out with a real size.
      const sizes = await page.$$eval('svg.marks', (svgs) => svgs.map((s) => s.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(sizes).toHaveLength(5);
      for (const [w, h] of sizes) {
        expect(w).toBeGreaterThan(100);
        expect(h).toBeGreaterThan(100);
      }
      expect(await page.textContent('h1')).toBe('Synthetic release of clinic');
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(requests).toHaveLength(1);
    } finally {
      await browser.close();
    }
  });
});
