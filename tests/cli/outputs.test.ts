import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/context.js';
import { runCli } from './runCli.js';
import { OutputExistsError, planOutputs } from '../../src/cli/outputs.js';

const run = runCli;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dpc-outputs-'));
  dirs.push(d);
  return d;
}

const pair = (dir: string) => [
  { option: '--out', path: join(dir, 's.csv') },
  { option: '--receipt', path: join(dir, 's.receipt.json') },
];

describe('planOutputs: checked before anything is read', () => {
  it('names the option when a directory is missing, an output is a directory, or a name is "-" or empty', () => {
    const dir = tempDir();
    expect(() => planOutputs([{ option: '--out', path: join(dir, 'missing', 'p.csv') }])).toThrow(/^--out .*p\.csv: the directory .*missing does not exist$/);
    expect(() => planOutputs([{ option: '--trace', path: dir }])).toThrow(/^--trace .*: is a directory$/);
    expect(() => planOutputs([{ option: '--out', path: '-' }])).toThrow(/^--out -: this command cannot write to standard output/);
    expect(() => planOutputs([{ option: '--out', path: '' }])).toThrow(UsageError);
  });

  it('rejects two outputs naming one file, however spelled (relative, symlinked directory, hard link)', () => {
    const dir = tempDir();
    const a = join(dir, 'a.csv');
    expect(() => planOutputs([{ option: '--out', path: a }, { option: '--receipt', path: join(dir, '.', 'a.csv') }])).toThrow(/^--receipt .*: the same file as --out/);
    symlinkSync(dir, join(dir, 'via-link'));
    expect(() => planOutputs([{ option: '--out', path: a }, { option: '--trace', path: join(dir, 'via-link', 'a.csv') }])).toThrow(/the same file as --out/);
    writeFileSync(a, 'x');
    linkSync(a, join(dir, 'hard.csv'));
    expect(() => planOutputs([{ option: '--out', path: a }, { option: '--trace', path: join(dir, 'hard.csv') }], { force: true })).toThrow(/the same file as --out/);
  });

  it('never lets an output be an input, even with --force', () => {
    const dir = tempDir();
    const data = join(dir, 'b.csv');
    writeFileSync(data, 'private');
    symlinkSync(data, join(dir, 'alias.csv'));
    for (const path of [data, join(dir, 'alias.csv')]) {
      expect(() => planOutputs([{ option: '--out', path }], { force: true, inputs: [{ option: '--data', path: data }] })).toThrow(/is the input --data/);
    }
    expect(readFileSync(data, 'utf8')).toBe('private');
  });

  it('without --force an existing output is refused at planning time (exit-2 error)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 's.receipt.json'), 'old');
    const error = (() => {
      try {
        planOutputs(pair(dir));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(OutputExistsError);
    expect(error).toBeInstanceOf(UsageError);
    expect(String(error)).toMatch(/--receipt .*s\.receipt\.json: already exists; pass --force/);
  });
});

describe('OutputPlan.commit: all outputs or none', () => {
  it('writes every output and leaves no temporary or lock file', async () => {
    const dir = tempDir();
    await planOutputs(pair(dir)).commit(['csv\n', '{}\n']);
    expect(readdirSync(dir).sort()).toEqual(['s.csv', 's.receipt.json']);
    expect(readFileSync(join(dir, 's.csv'), 'utf8')).toBe('csv\n');
  });

  it('when a target appears after planning (another run), writes none and keeps the intruder', async () => {
    const dir = tempDir();
    const plan = planOutputs(pair(dir));
    // Sorted commit order is s.csv then s.receipt.json: the intruder takes the second, so the
    // first has to be linked and then removed again.
    writeFileSync(join(dir, 's.receipt.json'), 'other run');
    await expect(plan.commit(['csv\n', '{}\n'])).rejects.toThrow(/--receipt .*already exists \(created while this run was working\); nothing was written/);
    expect(readdirSync(dir)).toEqual(['s.receipt.json']);
    expect(readFileSync(join(dir, 's.receipt.json'), 'utf8')).toBe('other run');
  });

  it('with --force replaces both files of an existing pair', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 's.csv'), 'old csv');
    writeFileSync(join(dir, 's.receipt.json'), 'old receipt');
    await planOutputs(pair(dir), { force: true }).commit(['new csv', 'new receipt']);
    expect(readFileSync(join(dir, 's.csv'), 'utf8')).toBe('new csv');
    expect(readFileSync(join(dir, 's.receipt.json'), 'utf8')).toBe('new receipt');
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('takes over the lock of a run that was killed while committing', async () => {
    const dir = tempDir();
    // A pid above Linux's pid_max (2^22): no process has it.
    writeFileSync(join(dir, '.s.csv.dpcondense-lock'), '99999999.deadbeef');
    await planOutputs(pair(dir)).commit(['a', 'b']);
    expect(readdirSync(dir).sort()).toEqual(['s.csv', 's.receipt.json']);
  });

  it('waits for a live run holding the lock, then gives up without writing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.s.receipt.json.dpcondense-lock'), `${process.pid}.live`);
    await expect(planOutputs(pair(dir), { lockTimeoutMs: 50 }).commit(['a', 'b'])).rejects.toThrow(/another run has been writing it/);
    expect(readdirSync(dir)).toEqual(['.s.receipt.json.dpcondense-lock']);
  });
});

/** Two processes commit a CSV/receipt pair to the same names at the same instant. */
async function race(dir: string, force: boolean): Promise<{ codes: number[]; csv: string; receipt: string }> {
  const script = join('tests', 'fixtures', 'race', 'commitPair.mjs');
  const children = ['A', 'B'].map((id) => spawn(process.execPath, [script, dir, id, force ? '1' : '0'], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const contenders = children.map(
    (child) =>
      new Promise<number>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? -1));
      }),
  );
  // Both have planned (so neither saw the other's files): release them together.
  await Promise.all(children.map((child) => new Promise((resolve) => child.stdout.once('data', resolve))));
  for (const child of children) child.stdin.end('go\n');
  const codes = await Promise.all(contenders);
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  return { codes, csv: read('synthetic.csv'), receipt: read('synthetic.receipt.json') };
}

describe('two processes racing for the same outputs (the full 200-trial run is tools/race/outputRace.sh)', () => {
  const TRIALS = 5; // the child processes import dist/ (built by npm ci / npm run build)
  it(`never mixes a pair; without --force exactly one wins (${TRIALS} trials each)`, { timeout: 180_000 }, async () => {
    for (let t = 0; t < TRIALS; t++) {
      for (const force of [false, true]) {
        const dir = join(tempDir(), 'out');
        mkdirSync(dir);
        const { codes, csv, receipt } = await race(dir, force);
        const csvRun = csv.split('\n')[1];
        expect(JSON.parse(receipt).run, `trial ${t} force=${force}`).toBe(csvRun);
        if (force) expect(codes).toEqual([0, 0]);
        else expect([...codes].sort()).toEqual([0, 2]);
        expect(readdirSync(dir).sort()).toEqual(['synthetic.csv', 'synthetic.receipt.json']);
      }
    }
  });
});

describe('the commands validate their outputs before reading anything (issue 13 defects 1, 2, 7 and --out -)', () => {
  const csvWithCard = (dir: string) => {
    const data = join(dir, 'b.csv');
    writeFileSync(data, 'age,dead\n50,1\n60,0\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'b', task: 'classification', label: 'dead', positive: 1, features: [{ name: 'age', type: 'numeric', bounds: [0, 120] }] }));
    return data;
  };

  it('defect 1: --receipt in a missing directory, or --out equal to --receipt, writes nothing and exits 2', async () => {
    const dir = tempDir();
    const out = join(dir, 'p.csv');
    const missing = await run('condense', '--dataset', 'pima', '--out', out, '--receipt', join(dir, 'nope', 'r.json'), '--force');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: --receipt .*r\.json: the directory .*nope does not exist\n$/);
    const same = await run('condense', '--dataset', 'pima', '--out', out, '--receipt', out, '--force');
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/--receipt .*: the same file as --out/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('defect 2: --out in a missing directory fails at once, naming the option, before the data is read', async () => {
    const r = await run('condense', '--dataset', 'pima', '--out', '/missing/dir/p.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --out /missing/dir/p.csv: the directory /missing/dir does not exist\n');
    expect(r.stderr).not.toMatch(/condensing|internal/);
  });

  it('defect 7: neither condense nor card may overwrite their input, even with --force', async () => {
    const dir = tempDir();
    const data = csvWithCard(dir);
    const before = readFileSync(data, 'utf8');
    const c = await run('condense', '--data', data, '--out', data, '--force', '--quiet');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--out .*b\.csv: is the input --data/);
    const receiptOverCard = await run('condense', '--data', data, '--receipt', join(dir, 'b.json'), '--out', join(dir, 'o.csv'), '--force', '--quiet');
    expect(receiptOverCard.code).toBe(2);
    expect(receiptOverCard.stderr).toMatch(/--receipt .*b\.json: is the input --card/);
    const k = await run('card', data, '--label', 'dead', '--out', data, '--force');
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/--out .*b\.csv: is the input FILE\.csv/);
    expect(readFileSync(data, 'utf8')).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['b.csv', 'b.json']);
  });

  it('condense --out - is rejected clearly (it used to write a file named "-")', async () => {
    const r = await run('condense', '--dataset', 'pima', '--out', '-');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --out -: this command cannot write to standard output; give a file name\n$/);
    expect(existsSync('-')).toBe(false);
  });
});
