import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DATASETS_DIR } from '../../src/node/bundled.js';
import { REFERENCE_ROWS } from '../../src/condense/settings.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'dpc-condense-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dpcondense condense / evaluate', () => {
  it('condenses a bundled dataset, writes the CSV, the receipt and the trace, then evaluates it', async () => {
    const out = join(dir, 'pima.csv');
    const trace = join(dir, 'trace.csv');
    const r = await run('condense', '--dataset', 'pima', '--rows', '20', '--epsilon', '3', '--steps', '15', '--directions', '4', '--out', out, '--trace', trace);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/private release: yes/);
    expect(r.stderr).toMatch(/step 15\/15 .*ETA .*loss .*ε spent 3/);
    const csv = readFileSync(out, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('pregnant,glucose,pressure,triceps,insulin,mass,pedigree,age,diabetes');
    expect(csv).toHaveLength(21);
    const receipt = JSON.parse(readFileSync(join(dir, 'pima.receipt.json'), 'utf8'));
    expect(receipt.private_release).toBe(true);
    expect(receipt.epsilon).toBeLessThanOrEqual(3);
    // A bundled dataset is public: its plain SHA-256 identifies it.
    expect(receipt.input_fingerprint).toEqual({ algorithm: 'SHA-256', hex: createHash('sha256').update(readFileSync(join(DATASETS_DIR, 'pima.csv'))).digest('hex') });
    expect(readFileSync(trace, 'utf8').trim().split('\n')).toHaveLength(16);

    const e = await run('evaluate', '--synthetic', out, '--dataset', 'pima', '--models', 'logistic,cart');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^CUSTODIAN ONLY/);
    expect(e.stdout).toMatch(/logistic\s+auroc\s+0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]\s+0\.838 \[/);
    expect(e.stdout).toMatch(/cart\s+auroc/);
  });

  it('without --rows the table has its task\'s default size: 20 rows for classification, 50 for survival', async () => {
    for (const [dataset, task] of [['pima', 'classification'], ['rotterdam', 'survival']] as const) {
      const out = join(dir, `${dataset}-default-size.csv`);
      const r = await run('condense', '--dataset', dataset, '--epsilon', '3', '--steps', '2', '--directions', '2', '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`→ ${REFERENCE_ROWS[task]} synthetic rows`);
      expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1 + REFERENCE_ROWS[task]);
    }
    expect(REFERENCE_ROWS).toEqual({ classification: 20, survival: 50 });
  });

  it('refuses to overwrite outputs without --force, and writes nothing when the options are wrong', async () => {
    const out = join(dir, 'exists.csv');
    writeFileSync(out, 'keep me');
    const r = await run('condense', '--dataset', 'pima', '--out', out, '--steps', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');

    const bad = join(dir, 'bad.csv');
    for (const args of [
      ['--epsilon', '-1'],
      ['--rows', '1.5'],
      ['--model', 'cox'],
      ['--optimiser', 'rmsprop'],
    ]) {
      const b = await run('condense', '--dataset', 'pima', '--out', bad, '--steps', '2', ...args);
      expect(b.code, args.join(' ')).toBeGreaterThan(0);
      expect(b.stderr.trim().split('\n').at(-1)).toMatch(/error/);
      expect(existsSync(bad)).toBe(false);
      expect(existsSync(join(dir, 'bad.receipt.json'))).toBe(false);
    }
  });

  it('a user CSV: the receipt identifies it by an HMAC under a key created on first use, and no message counts its rows', async () => {
    const csvText = readFileSync(join(DATASETS_DIR, 'pima.csv'), 'utf8');
    writeFileSync(join(dir, 'mine.csv'), csvText);
    writeFileSync(join(dir, 'mine.json'), readFileSync(join(DATASETS_DIR, 'pima.json')));
    const key = join(dir, 'keys', 'fingerprint.key');
    const args = ['condense', '--data', join(dir, 'mine.csv'), '--steps', '2', '--directions', '2', '--fingerprint-key', key, '--force'];
    const first = await run(...args, '--out', join(dir, 'mine-1.csv'));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/created the fingerprint key .*fingerprint\.key/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const second = await run(...args, '--out', join(dir, 'mine-2.csv'));
    expect(second.stderr).not.toMatch(/created/);
    const fingerprints = [1, 2].map((i) => JSON.parse(readFileSync(join(dir, `mine-${i}.receipt.json`), 'utf8')).input_fingerprint);
    const sha = createHash('sha256').update(csvText).digest();
    const keyBytes = Buffer.from(readFileSync(key, 'utf8').trim(), 'hex');
    expect(fingerprints[0]).toEqual({ algorithm: 'HMAC-SHA-256', hex: createHmac('sha256', keyBytes).update(sha).digest('hex') });
    expect(fingerprints[1]).toEqual(fingerprints[0]); // the custodian can recompute it
    expect(fingerprints[0].hex).not.toBe(sha.toString('hex'));
    // Nothing printed counts the private rows (768 in this file).
    for (const text of [first.stdout, first.stderr]) expect(text).not.toMatch(/(?<![\d.])768(?![\d.])/);
    for (const i of [1, 2]) expect(readFileSync(join(dir, `mine-${i}.receipt.json`), 'utf8')).not.toContain(keyBytes.toString('hex'));
  });

  it('needs exactly one data source and a known dataset', async () => {
    expect((await run('condense', '--out', join(dir, 'x.csv'))).code).toBe(2);
    const r = await run('condense', '--dataset', 'nope', '--out', join(dir, 'x.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown dataset "nope"/);
    const e = await run('evaluate', '--synthetic', join(dir, 'missing.csv'), '--dataset', 'pima');
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/missing\.csv/);
  });
});
