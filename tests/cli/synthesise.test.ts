import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CLINIC_CARD, clinicCsv } from '../fixtures/ownData.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'dpc-synthesise-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dpcondense synthesise --method mst', () => {
  it('releases a full-size MST table of a bundled dataset with its receipt, then evaluates it', async () => {
    const out = join(dir, 'pima-mst.csv');
    const r = await run('synthesise', '--method', 'mst', '--dataset', 'pima', '--rows', 'full', '--epsilon', '3', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/private release: yes/);
    const csv = readFileSync(out, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('pregnant,glucose,pressure,triceps,insulin,mass,pedigree,age,diabetes');
    expect(csv.length - 1).toBeGreaterThan(500); // N̂ ≈ 614 training rows
    const receipt = JSON.parse(readFileSync(join(dir, 'pima-mst.receipt.json'), 'utf8'));
    expect(receipt.private_release).toBe(true);
    expect(receipt.epsilon).toBeLessThanOrEqual(3);
    expect(receipt.parameters.method).toBe('mst');
    expect(receipt.input_fingerprint.hex).toMatch(/^[0-9a-f]{64}$/);

    const e = await run('evaluate', '--synthetic', out, '--dataset', 'pima', '--models', 'logistic');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/logistic\s+auroc\s+0\.\d+/);
  });

  it("a user's file: the receipt's fingerprint is keyed (HMAC) and no message states the private row count", async () => {
    const data = join(dir, 'cohort.csv');
    const card = join(dir, 'cohort.json');
    writeFileSync(data, clinicCsv({ rows: 137 }));
    writeFileSync(card, JSON.stringify(CLINIC_CARD));
    const key = join(dir, 'fingerprint.key');
    const out = join(dir, 'cohort-mst.csv');
    const r = await run('synthesise', '--data', data, '--card', card, '--rows', '20', '--epsilon', '3', '--fingerprint-key', key, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/\b137\b/);
    const receipt = JSON.parse(readFileSync(join(dir, 'cohort-mst.receipt.json'), 'utf8'));
    expect(receipt.input_fingerprint.algorithm).toMatch(/HMAC/);
    expect(existsSync(key)).toBe(true);
  });

  it('a seeded run says it is not a private release; --rows N gives N rows', async () => {
    const out = join(dir, 'seeded.csv');
    const r = await run('synthesise', '--dataset', 'rotterdam', '--rows', '40', '--epsilon', '1', '--seed', '7', '--out', out, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/private release: NO — .*seeded/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(41);
  });

  it('bad input: clear error, non-zero exit, nothing written', async () => {
    const out = join(dir, 'exists.csv');
    writeFileSync(out, 'keep me');
    const r = await run('synthesise', '--dataset', 'pima', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');

    const bad = join(dir, 'bad.csv');
    for (const [args, pattern] of [
      [['--method', 'aim'], /--method: "aim" is not one of mst/],
      [['--epsilon', '0'], /--epsilon/],
      [['--rows', '2.5'], /--rows/],
      [['--rows', 'half'], /--rows/],
      [['--delta', '1'], /--delta/],
      [['--bins', '1'], /--bins/],
      [['--dataset', 'nope'], /unknown dataset "nope"/],
    ] as [string[], RegExp][]) {
      const argv = args[0] === '--dataset' ? args : ['--dataset', 'pima', ...args];
      const b = await run('synthesise', ...argv, '--out', bad);
      expect(b.code, args.join(' ')).toBe(2);
      expect(b.stderr, args.join(' ')).toMatch(pattern);
      expect(existsSync(bad)).toBe(false);
      expect(existsSync(join(dir, 'bad.receipt.json'))).toBe(false);
    }

    // A malformed data file: exit 1, the message names file, row and column.
    const data = join(dir, 'broken.csv');
    const card = join(dir, 'broken.json');
    writeFileSync(card, JSON.stringify({ name: 'broken', task: 'classification', label: 'y', positive: 1, features: [{ name: 'x', type: 'numeric', bounds: [0, 10] }] }));
    writeFileSync(data, 'x,y\n1,0\nabc,1\n');
    const d = await run('synthesise', '--data', data, '--card', card, '--out', bad);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/broken\.csv.*row.*"x"/);
    expect(existsSync(bad)).toBe(false);
    expect((await run('synthesise', '--out', bad)).code).toBe(2); // no data source
  });
});
