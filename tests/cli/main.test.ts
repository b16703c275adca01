import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyError, main } from '../../src/cli/main.js';
import { UsageError } from '../../src/cli/context.js';
import { OptionError } from '../../src/core/errors.js';
import { DataError } from '../../src/data/errors.js';
import { UnknownLearnerError } from '../../src/models/types.js';
import { parseCard } from '../../src/data/card.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpc-cli-'));
  tempDirs.push(dir);
  return dir;
}

/** An input error: exit 1, exactly one line on stderr, no stack trace, nothing on stdout. */
function expectOneLineError(result: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

const SURVIVAL_CARD = {
  name: 'cohort',
  task: 'survival',
  time: 'time',
  event: 'event',
  features: [
    { name: 'age', type: 'numeric', bounds: [18, 100] },
    { name: 'stage', type: 'categorical', categories: ['I', 'II', 'III'] },
  ],
};

describe('dpcondense (in-process)', () => {
  it('with no arguments prints help and exits 2; --help and --version exit 0', async () => {
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: dpcondense/);
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/datasets.*\n.*describe/s);
    expect((await run('--version')).stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('usage errors exit 2', async () => {
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('datasets', '--bogus')).code).toBe(2);
    expect((await run('describe')).code).toBe(2);
    const both = await run('card', 'x.csv', '--label', 'y', '--time', 't');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --label COL \(classification\) or --time COL --event COL/);
  });

  it('datasets lists the seven bundled datasets with task, rows, features, outcome, licence', async () => {
    const { code, stdout } = await run('datasets');
    expect(code).toBe(0);
    const header = stdout.split('\n')[0];
    expect(header.split(/\s{2,}/)).toEqual(['name', 'task', 'rows', 'features', 'outcome', 'licence']);
    expect(stdout).toMatch(/^pima\s+classification\s+768\s+8\s+diabetes = 1\s+GPL-2/m);
    expect(stdout).toMatch(/^rotterdam\s+survival\s+2982\s+8\s+time \(days\), event\s+LGPL/m);
    const json = JSON.parse((await run('datasets', '--json')).stdout);
    expect(json.map((d: { name: string }) => d.name)).toEqual(['gbsg', 'metabric', 'physionet2012', 'pima', 'rotterdam', 'support', 'wdbc']);
  });

  it('describe NAME prints the non-private warning, the card and per-feature summaries', async () => {
    const { code, stdout } = await run('describe', 'pima');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^LOCAL, NON-PRIVATE SUMMARY .* not differentially private/);
    expect(stdout).toMatch(/Rows\s+768 \(fixed split: 614 train, 154 test\)/);
    expect(stdout).toMatch(/Outcome\s+positive 268 \(34\.9%\), negative 500/);
    // pima (mlbench PimaIndiansDiabetes2) has 227 missing triceps and 374 missing insulin values.
    expect(stdout).toMatch(/^triceps\s+numeric \(mm\)\s+\[0, 100\]\s+227\s+min 7, max 99/m);
    expect(stdout).toMatch(/^insulin\s+.*\s374\s/m);
  });

  it('describe FILE.csv finds the card next to it, or takes --card, or explains what is missing', async () => {
    const dir = tempDir();
    const csv = join(dir, 'cohort.csv');
    writeFileSync(csv, 'age,stage,time,event,extra\n50,I,10,1,a\n70,III,20,0,b\n,II,5,1,c\n');
    const noCard = await run('describe', csv);
    expect(noCard.code).toBe(2);
    expect(noCard.stderr).toMatch(/no card for .*cohort\.csv: pass --card/);
    writeFileSync(join(dir, 'other.json'), JSON.stringify(SURVIVAL_CARD));
    const viaFlag = await run('describe', csv, '--card', join(dir, 'other.json'));
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toMatch(/Outcome\s+2 events, 1 censored; time min 5, median 10, max 20/);
    expect(viaFlag.stdout).toMatch(/^age\s+numeric\s+\[18, 100\]\s+1\s+min 50, max 70, mean 60/m);
    expect(viaFlag.stdout).toMatch(/^stage\s+categorical\s+-\s+0\s+I: 1, II: 1, III: 1/m);
    expect(viaFlag.stdout).toMatch(/Ignored\s+columns not in the card: extra/);
    writeFileSync(join(dir, 'cohort.json'), JSON.stringify(SURVIVAL_CARD));
    expect((await run('describe', csv)).code).toBe(0);
  });

  it('describe reports bad data as one line naming file, row and column (exit 1)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(SURVIVAL_CARD));
    const cases: [string, RegExp][] = [
      ['age,stage,time,event\n50,I,10,1\n70,III,20\n', /c\.csv: row 2, column "event": row has 3 fields/],
      ['age,stage,time,event\n50,I,10,1\n7O,III,20,0\n', /c\.csv: row 2, column "age": "7O" is not a number/],
      ['age,stage,time,event\n50,IV,10,1\n', /c\.csv: row 1, column "stage": "IV" is not a category/],
      ['age,stage,time,event\n50,I,-1,1\n', /c\.csv: row 1, column "time": follow-up time "-1" is not a finite number ≥ 0/],
      ['age,stage,time,event\n50,I,1,2\n', /c\.csv: row 1, column "event": event "2" is not 0/],
      ['age,stage,time,event\n50,I,1,0\n', /c\.csv: column "event": all 1 rows are censored/],
      ['age,age,time,event\n50,I,1,0\n', /c\.csv: column "age": header: the name appears twice/],
      ['', /c\.csv: the file is empty/],
      ['age,stage,time,event\n', /c\.csv: the file has a header but no data rows/],
      ['age,stage,time,event\n150,I,1,1\n', /c\.csv: row 1, column "age": 150 is outside the card's bounds \[18, 100\].*--on-invalid clamp\|drop/],
    ];
    for (const [text, pattern] of cases) {
      const csv = join(dir, 'c.csv');
      writeFileSync(csv, text);
      expectOneLineError(await run('describe', csv), pattern);
    }
    expectOneLineError(await run('describe', join(dir, 'absent.csv'), '--card', join(dir, 'c.json')), /absent\.csv: file not found/);
  });

  it('describe --clamp-to-bounds clamps and says so', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(SURVIVAL_CARD));
    writeFileSync(join(dir, 'c.csv'), 'age,stage,time,event\n150,I,1,1\n10,I,2,1\n50,I,3,0\n');
    const { code, stdout } = await run('describe', join(dir, 'c.csv'), '--clamp-to-bounds');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Clamped\s+age: 2/);
    expect(stdout).toMatch(/^age\s+numeric\s+\[18, 100\]\s+0\s+min 18, max 100/m);
  });

  it('describe with an invalid card names the card file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.csv'), 'a,t,e\n1,1,1\n');
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ name: 'c', task: 'survival', time: 't', features: [] }));
    const r = await run('describe', join(dir, 'c.csv'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/c\.json: invalid dataset card/);
  });
});

describe('dpcondense card', () => {
  const CSV = 'id,age,sex,stage,smoker,dead\n1,50.5,0,I,yes,1\n2,61,1,III,no,0\n3,33,1,II,no,0\n';

  it('writes a draft card next to the CSV with bounds null, and it loads the data', async () => {
    const dir = tempDir();
    const csv = join(dir, 'ward.csv');
    writeFileSync(csv, CSV);
    const r = await run('card', csv, '--label', 'dead', '--exclude', 'id');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote draft card .*ward\.json: 4 features \(1 numeric, 2 binary, 1 categorical\); checked against 3 rows/);
    const card = parseCard(JSON.parse(readFileSync(join(dir, 'ward.json'), 'utf8')));
    expect(card.name).toBe('ward');
    expect(card.features.find((f) => f.name === 'age')).toEqual({ name: 'age', type: 'numeric', bounds: null });
    expect(card.task === 'classification' && card.positive).toBe(1);
    // The draft is immediately usable by describe.
    expect((await run('describe', csv)).code).toBe(0);
    // ... but marked as a draft, which a private release refuses until the custodian reviews it.
    expect(card.draft).toBe(true);
    const condenseArgs = ['condense', '--data', csv, '--rows', '2', '--steps', '1', '--directions', '1', '--quiet', '--fingerprint-key', join(dir, 'k.key')];
    const refused = await run(...condenseArgs, '--out', join(dir, 'refused.csv'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/draft.*--accept-draft-card/);
    expect(existsSync(join(dir, 'refused.csv')) || existsSync(join(dir, 'k.key'))).toBe(false);
    const accepted = await run(...condenseArgs, '--out', join(dir, 'accepted.csv'), '--accept-draft-card');
    expect(accepted.code, accepted.stderr).toBe(0);
    const receipt = JSON.parse(readFileSync(join(dir, 'accepted.receipt.json'), 'utf8'));
    expect(receipt.private_release).toBe(false);
    expect(receipt.reasons_not_private.join(' ')).toMatch(/unreviewed draft/);
  });

  it('refuses to overwrite without --force, and leaves the file untouched', async () => {
    const dir = tempDir();
    const csv = join(dir, 'ward.csv');
    writeFileSync(csv, CSV);
    const out = join(dir, 'card.json');
    writeFileSync(out, 'precious');
    const refused = await run('card', csv, '--label', 'dead', '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^error: --out .*card\.json: already exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect((await run('card', csv, '--label', 'dead', '--out', out, '--force')).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).task).toBe('classification');
    expect(readdirSync(dir).sort()).toEqual(['card.json', 'ward.csv']);
  });

  it('--out - prints the card on stdout and the remarks on stderr', async () => {
    const dir = tempDir();
    const csv = join(dir, 'ward.csv');
    writeFileSync(csv, CSV);
    const r = await run('card', csv, '--label', 'dead', '--out', '-');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).label).toBe('dead');
    expect(r.stderr).toMatch(/Draft card: 5 features/);
    expect(readdirSync(dir)).toEqual(['ward.csv']);
  });

  it('writes nothing on bad input', async () => {
    const dir = tempDir();
    const cases: [string, string[], RegExp][] = [
      ['a,y\n1,0\n2,1\n3,2\n', ['--label', 'y'], /bad\.csv: row 3, column "y": a third label value "2"/],
      ['a,t,e\n1,5,0\n2,3,0\n', ['--time', 't', '--event', 'e'], /bad\.csv: column "e": all 2 rows are censored/],
      ['a,t,e\n1,5,1\n2,-0.5,0\n', ['--time', 't', '--event', 'e'], /bad\.csv: row 2, column "t": follow-up time "-0\.5" is not a finite number ≥ 0/],
      ['a,t,e\n1,5,1\n2,3\n', ['--time', 't', '--event', 'e'], /bad\.csv: row 2, column "e": row has 2 fields/],
      ['', ['--label', 'y'], /bad\.csv: the file is empty/],
      ['a,y\n', ['--label', 'y'], /bad\.csv: the file has a header but no data rows/],
    ];
    for (const [text, args, pattern] of cases) {
      writeFileSync(join(dir, 'bad.csv'), text);
      expectOneLineError(await run('card', join(dir, 'bad.csv'), ...args), pattern);
      expect(existsSync(join(dir, 'bad.json'))).toBe(false);
      expect(readdirSync(dir)).toEqual(['bad.csv']);
    }
  });
});

describe('classifyError', () => {
  it('makes typed option errors usage errors (against their flag) and a bare RangeError an internal error', () => {
    expect(classifyError(new OptionError('rows', 'rows must be ≥ 2'))).toEqual({ kind: 'usage', message: '--rows: rows must be ≥ 2' });
    expect(classifyError(new UsageError('--seed: bad')).kind).toBe('usage');
    expect(classifyError(new UnknownLearnerError('unknown learner "x"')).kind).toBe('usage');
    expect(classifyError(new DataError('bad cell', { file: 'a.csv' })).kind).toBe('input');
    expect(classifyError(new RangeError('auroc: 3 labels but 2 predictions')).kind).toBe('internal');
    let v8: unknown;
    try {
      new Array(-1);
    } catch (error) {
      v8 = error;
    }
    expect(v8).toBeInstanceOf(RangeError);
    expect(classifyError(v8).kind).toBe('internal');
  });
});
