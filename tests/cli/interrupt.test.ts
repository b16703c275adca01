/**
 * Issue 13, defect 9 (signals): Ctrl-C prints one line, runs the clean-ups (temporary outputs and
 * locks) and exits 130; nothing is written. The child process runs dist/ (built by npm ci).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interrupt, onInterrupt } from '../../src/cli/interrupt.js';

const dir = mkdtempSync(join(tmpdir(), 'dpc-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('interrupt', () => {
  it('runs every registered clean-up once and answers 130 for SIGINT, 143 for SIGTERM', () => {
    let cleaned = 0;
    const unregister = onInterrupt(() => cleaned++);
    onInterrupt(() => {
      throw new Error('a failing clean-up does not stop the others');
    });
    onInterrupt(() => cleaned++);
    expect(interrupt('SIGINT')).toEqual({ message: 'interrupted; nothing written', code: 130 });
    expect(cleaned).toBe(2);
    unregister();
    expect(interrupt('SIGTERM').code).toBe(143);
    expect(cleaned).toBe(2);
  });

  it('Ctrl-C during a condensation: one line, exit 130, no output file', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'condense', '--dataset', 'pima', '--steps', '100000', '--directions', '1', '--out', join(dir, 's.csv')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once the steps run (the first progress line).
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/^step /m.test(stderr)) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe('interrupted; nothing written');
    expect(readdirSync(dir)).toEqual([]);
  });
});
