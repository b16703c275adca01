/**
 * The package's entry points as a user reaches them: through the `exports` map of package.json
 * (Node's self-reference, `import('dpcondense')`, run in a real Node process on the built dist/).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function node(script: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  return JSON.parse(stdout);
}

describe('the exports map', () => {
  it('serves the isomorphic core at "dpcondense" and file loading at "dpcondense/node", and nothing else', async () => {
    const result = (await node(`
      const core = await import('dpcondense');
      const files = await import('dpcondense/node');
      let deep;
      try { await import('dpcondense/dist/node/bundled.js'); deep = 'resolved'; } catch (e) { deep = e.code; }
      console.log(JSON.stringify({ core: Object.keys(core), files: Object.keys(files), deep }));
    `)) as { core: string[]; files: string[]; deep: string };
    for (const name of ['condense', 'matrix', 'createLearner', 'metrics', 'PrivacyLedger', 'dpMeanAndSpread', 'buildReceipt', 'OptionError', 'DataError', 'synthesise']) {
      expect(result.core).toContain(name);
    }
    // No internal knobs or accountant internals in the public index.
    for (const name of ['privacy', 'CONDENSE_DEFAULTS', 'SETTINGS', 'composePld', 'gaussianSumQuery', 'loadBundledDataset']) expect(result.core).not.toContain(name);
    expect(result.files).toEqual(expect.arrayContaining(['loadBundledDataset', 'loadCsvDataset', 'readCardFile', 'workerPoolEvaluators']));
    expect(result.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('runs the README library example through the entry points', async () => {
    const result = (await node(`
      import { condense, OptionError } from 'dpcondense';
      import { loadBundledDataset } from 'dpcondense/node';
      const { train } = await loadBundledDataset('metabric');
      const { synthetic, receipt, trace } = await condense({ train, rows: 12, epsilon: 3, learners: ['cox'], steps: 2, seed: 1 });
      let option;
      try { await condense({ train, rows: 0, epsilon: 3 }); } catch (e) { option = e instanceof OptionError ? e.option : String(e); }
      console.log(JSON.stringify({ rows: synthetic.nRows, epsilon: receipt.epsilon, steps: trace.length, option }));
    `)) as { rows: number; epsilon: number; steps: number; option: string };
    expect(result.rows).toBe(12);
    expect(result.epsilon).toBeLessThanOrEqual(3);
    expect(result.steps).toBe(2);
    expect(result.option).toBe('rows');
  });
});
