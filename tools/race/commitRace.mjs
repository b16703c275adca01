#!/usr/bin/env node
// The output race of tests/cli/outputs.test.ts at full size: TRIALS trials without --force and
// TRIALS with it, two processes (tests/fixtures/race/commitPair.mjs) planning the same CSV/receipt
// pair and released to commit at the same instant. Counts mismatched pairs, wrong exit codes and
// leftover files.   usage: node tools/race/commitRace.mjs [TRIALS=200]   (after npm run build)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const trials = Number(process.argv[2] ?? 200);
const script = new URL('../../tests/fixtures/race/commitPair.mjs', import.meta.url).pathname;
for (const force of [false, true]) {
  const tally = { mismatched: 0, wrongExit: 0, leftovers: 0 };
  for (let t = 0; t < trials; t++) {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-race-'));
    const children = ['A', 'B'].map((id) => spawn(process.execPath, [script, dir, id, force ? '1' : '0'], { stdio: ['pipe', 'pipe', 'ignore'] }));
    const exits = children.map((c) => new Promise((resolve) => c.on('exit', (code) => resolve(code))));
    await Promise.all(children.map((c) => new Promise((resolve) => c.stdout.once('data', resolve))));
    for (const c of children) c.stdin.end('go\n');
    const codes = await Promise.all(exits);
    const csv = existsSync(join(dir, 'synthetic.csv')) ? readFileSync(join(dir, 'synthetic.csv'), 'utf8').split('\n')[1] : undefined;
    const receipt = existsSync(join(dir, 'synthetic.receipt.json')) ? JSON.parse(readFileSync(join(dir, 'synthetic.receipt.json'), 'utf8')).run : undefined;
    if (!csv || csv !== receipt) tally.mismatched++;
    if (force ? codes.some((c) => c !== 0) : [...codes].sort().join() !== '0,2') tally.wrongExit++;
    if (readdirSync(dir).length !== 2) tally.leftovers++;
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${force ? '--force' : 'no --force'}: ${trials} trials, mismatched pairs ${tally.mismatched}, wrong exit codes ${tally.wrongExit}, leftover files ${tally.leftovers}`);
}
