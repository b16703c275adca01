import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASETS_DIR } from '../../src/node/bundled.js';
import { main } from '../../src/cli/main.js';
import { runCondenseJob, type CondenseJobRequest, type JobEvent } from '../../src/job/run.js';
import { CUSTODIAN_ONLY_NOTICE } from '../../src/cli/commands/evaluate.js';
import { learnerSpecs } from '../../src/models/registry.js';
import { CLINIC_CARD, clinicCsv } from '../fixtures/ownData.js';
import { fromPortableResult } from '../../src/condense/portable.js';

const read = (file: string) => readFileSync(join(DATASETS_DIR, file), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'dpc-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pimaRequest(overrides: Partial<CondenseJobRequest['options']> = {}): CondenseJobRequest {
  return {
    dataset: { card: read('pima.json'), csv: read('pima.csv'), split: read('pima.split.json'), sources: { csv: 'pima.csv' } },
    options: { rows: 20, epsilon: 3, steps: 12, directions: 4, seed: 5, ...overrides },
    fingerprint: { public: true }, // bundled data: the plain SHA-256, as the CLI records it
    evaluation: { learners: ['cart', 'logistic'], seed: 1 },
  };
}

async function collect(request: CondenseJobRequest, signal = new AbortController().signal): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  await runCondenseJob(7, request, (e) => events.push(structuredClone(e)), signal);
  return events;
}

describe('runCondenseJob (the worker protocol)', () => {
  it('reports progress and a structured-cloneable result whose numbers and files equal the CLI run with the same seed', async () => {
    const events = await collect(pimaRequest());
    expect(events.every((e) => e.id === 7)).toBe(true);
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(12);
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(done)}`);
    const { result } = done;
    expect(result.trainRows).toBe(614);
    expect(result.testRows).toBe(154);

    const out = join(dir, 'pima.csv');
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    expect(await main(['condense', '--dataset', 'pima', '--rows', '20', '--epsilon', '3', '--steps', '12', '--directions', '4', '--seed', '5', '--out', out, '--quiet'], io), stderr).toBe(0);
    expect(result.syntheticCsv).toBe(readFileSync(out, 'utf8'));
    const cliReceipt = JSON.parse(readFileSync(join(dir, 'pima.receipt.json'), 'utf8'));
    const jobReceipt = JSON.parse(result.receiptJson);
    delete cliReceipt.created_at;
    delete jobReceipt.created_at;
    expect(jobReceipt).toEqual(cliReceipt);

    let json = '';
    const jsonIo = { stdout: { write: (s: string) => (json += s) }, stderr: io.stderr };
    expect(await main(['evaluate', '--synthetic', out, '--dataset', 'pima', '--models', 'cart,logistic', '--json'], jsonIo)).toBe(0);
    // The job's comparison is `evaluate --json`'s, field for field (learners fitted one call each).
    const { notice, data, synthetic, ...cliComparison } = JSON.parse(json);
    expect([notice, data, synthetic]).toEqual([CUSTODIAN_ONLY_NOTICE, 'pima', out]);
    expect(result.evaluation).toEqual(cliComparison);
    expect(result.evaluation!.rows.map((r) => r.learner)).toEqual(['cart', 'logistic']);
    expect(result.evaluation!.rows.every((r) => r.subset.estimate > 0.5 && r.subset.estimate < 1)).toBe(true);
    expect(result.reportHtml).toBeUndefined();

    // The encoder crossed the boundary as data and decodes as the original did.
    const rebuilt = fromPortableResult(result.condensed);
    const again = rebuilt.encoder.decodeToTable(rebuilt.encoder.encode(result.condensed.synthetic), {
      label: result.condensed.synthetic.label,
      negativeLabel: 0,
    });
    expect(Array.from(again.features[1].values)).toEqual(Array.from(result.condensed.synthetic.features[1].values));
    expect(result.condensed.released.features.map((f) => f.name)).toEqual(rebuilt.encoder.card.features.map((f) => f.name));
  });

  it('holds real rows of an upload out as `condense --holdout` does, and renders the report `condense --report` writes', async () => {
    const csv = clinicCsv({ rows: 240 });
    const files = { csv: join(dir, 'clinic.csv'), card: join(dir, 'clinic.json'), key: join(dir, 'fingerprint.key'), out: join(dir, 'clinic-synthetic.csv'), report: join(dir, 'clinic-report.html'), split: join(dir, 'clinic.split.json') };
    const key = new Uint8Array(32).map((_, i) => 3 * i + 1);
    writeFileSync(files.csv, csv);
    writeFileSync(files.card, JSON.stringify(CLINIC_CARD));
    writeFileSync(files.key, Buffer.from(key).toString('hex') + '\n');
    const settings = ['--rows', '16', '--epsilon', '2', '--steps', '5', '--directions', '2', '--seed', '3'];
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    const args = ['condense', '--data', files.csv, '--card', files.card, ...settings, '--holdout', '0.25', '--split-seed', '9', '--split', files.split, '--fingerprint-key', files.key, '--report', files.report, '--out', files.out, '--quiet'];
    expect(await main(args, io), stderr).toBe(0);

    const events = await collect({
      dataset: { card: JSON.stringify(CLINIC_CARD), csv, sources: { csv: files.csv } },
      options: { rows: 16, epsilon: 2, steps: 5, directions: 2, seed: 3 },
      fingerprint: { key },
      holdout: { fraction: 0.25, seed: 9 },
      evaluation: { learners: learnerSpecs('classification').map((l) => l.name), seed: 1 },
      report: true,
    });
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(done)}`);
    const split = JSON.parse(readFileSync(files.split, 'utf8')) as { test: number[] };
    expect(split.test.length).toBeGreaterThan(30);
    expect(events.find((e) => e.type === 'loaded')).toMatchObject({ trainRows: 240 - split.test.length, testRows: split.test.length });
    expect(done.result.testRows).toBe(split.test.length);
    expect(done.result.syntheticCsv).toBe(readFileSync(files.out, 'utf8'));
    expect(done.result.evaluation!.testRows).toBe(split.test.length);
    expect(events.some((e) => e.type === 'reporting')).toBe(true);
    // The same renderer on the same inputs: equal up to the receipt's creation time.
    const created = (html: string) => html.replace(/receipt created [^ ]+ /, 'receipt created … ');
    expect(created(done.result.reportHtml!)).toBe(created(readFileSync(files.report, 'utf8')));
    expect(done.result.reportHtml).toMatch(/CUSTODIAN ONLY/);
  });

  it('stops on abort with an aborted event, and reports bad input with its row and column', async () => {
    const controller = new AbortController();
    const events: JobEvent[] = [];
    await runCondenseJob(1, pimaRequest({ steps: 400 }), (e) => {
      events.push(e);
      if (e.type === 'progress' && e.progress.step === 3) controller.abort();
    }, controller.signal);
    expect(events.at(-1)).toEqual({ type: 'aborted', id: 1 });
    expect(events.filter((e) => e.type === 'progress').length).toBeLessThan(20);

    const request = pimaRequest();
    request.dataset.csv = (request.dataset.csv as string).replace(/\n6,148\.0,/, '\n6,abc,');
    const failed = await collect(request);
    expect(failed.at(-1)).toMatchObject({ type: 'error', error: { kind: 'data', file: 'pima.csv', row: 1, column: 'glucose' } });
  });

  it('records a keyed fingerprint with the custodian key, none without one (a plain hash of private data would leak)', async () => {
    const key = new Uint8Array(32).fill(7);
    const fingerprints = [];
    for (const fingerprint of [{ key }, undefined]) {
      const request = { ...pimaRequest({ steps: 1, directions: 1 }), fingerprint, evaluation: undefined };
      const done = (await collect(request)).at(-1)!;
      if (done.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(done)}`);
      fingerprints.push(JSON.parse(done.result.receiptJson).input_fingerprint);
    }
    const sha = createHash('sha256').update(read('pima.csv')).digest();
    expect(fingerprints[0]).toEqual({ algorithm: 'HMAC-SHA-256', hex: createHmac('sha256', key).update(sha).digest('hex') });
    expect(fingerprints[1]).toEqual({ algorithm: 'none', hex: '' });
  });
});
