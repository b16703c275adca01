import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

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
    expect(receipt.input_fingerprint.hex).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(trace, 'utf8').trim().split('\n')).toHaveLength(16);

    const e = await run('evaluate', '--synthetic', out, '--dataset', 'pima', '--models', 'logistic,cart');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^CUSTODIAN ONLY/);
    expect(e.stdout).toMatch(/logistic\s+auroc\s+0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]\s+0\.838 \[/);
    expect(e.stdout).toMatch(/cart\s+auroc/);
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
