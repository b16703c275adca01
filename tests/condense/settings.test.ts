import { describe, expect, it } from 'vitest';
import { DEFAULTS, OptionError, SETTINGS, defaultPreprocessingShare, parseSettings, receiptParameterKeys, resolveSettings } from '../../src/condense/settings.js';
import { dataset } from './helpers.js';

describe('the settings schema', () => {
  it('fills the defaults and names the setting at fault with a typed OptionError', () => {
    const s = parseSettings({ rows: 10, epsilon: 2 });
    expect(s.steps).toBe(DEFAULTS.steps);
    expect(s.delta).toBe(1e-5);
    expect(s.optimiser).toBe('sgd');
    expect(parseSettings({ rows: 10, epsilon: Infinity }).epsilon).toBe(Infinity);
    for (const [given, key, pattern] of [
      [{ rows: 1.5, epsilon: 1 }, 'rows', /integer/],
      [{ rows: 10, epsilon: 0 }, 'epsilon', /> 0.*Infinity/],
      [{ rows: 10, epsilon: 1, momentum: 2 }, 'momentum', /≤ 1/],
      [{ rows: 10, epsilon: 1, optimiser: 'rmsprop' }, 'optimiser', /sgd, adam/],
      [{ rows: 10, epsilon: 1, preprocessingShare: 1 }, 'preprocessingShare', /steps = 0/],
    ] as const) {
      try {
        parseSettings(given as never);
        expect.unreachable(key);
      } catch (error) {
        expect(error).toBeInstanceOf(OptionError);
        expect((error as OptionError).option).toBe(key);
        expect((error as Error).message).toMatch(pattern);
      }
    }
  });

  it('unknown learners and parameters are option errors before anything is read', async () => {
    const { train } = await dataset('pima');
    expect(() => resolveSettings({ train, rows: 10, epsilon: 1, learners: ['nope'] })).toThrow(OptionError);
    expect(() => resolveSettings({ train, rows: 10, epsilon: 1, learners: [{ name: 'cart', params: { depth: 3 } }] })).toThrow(/no parameter "depth"/);
    expect(() => resolveSettings({ train, rows: 10, epsilon: 1, learners: ['cox'] })).toThrow(/survival/);
    expect(resolveSettings({ train, rows: 10, epsilon: 1, learners: [{ name: 'cart', params: { maxDepth: 3 } }] }).learners[0].params.maxDepth).toBe(3);
  });

  it('the receipt lists the settings in schema order, each followed by the values derived from it', () => {
    const keys = receiptParameterKeys();
    expect(keys.slice(0, 3)).toEqual(['rows', 'learners', 'epsilon']);
    expect(keys.indexOf('samplingRate')).toBe(keys.indexOf('batchSize') + 1);
    expect(keys).not.toContain('seed');
    for (const key of Object.keys(SETTINGS)) if (SETTINGS[key as keyof typeof SETTINGS].meta.receipt !== false) expect(keys).toContain(key);
  });
});

describe("the statistics' default share of ε", () => {
  it('is 0.3 up to 30 features, 0.3·d/30 above, at most 0.6 (by hand)', () => {
    [0.3, 0.3, 0.45, 0.6, 0.6, 0.6].forEach((share, k) => expect(defaultPreprocessingShare([8, 30, 45, 60, 116, 1000][k])).toBeCloseTo(share, 12));
  });

  it('follows the card: pima (8 features) 0.3, physionet2012 (116) 0.6; a given share, no steps and the MST start keep their own', async () => {
    const pima = (await dataset('pima')).train;
    const physionet = (await dataset('physionet2012')).train;
    expect(resolveSettings({ train: pima, rows: 20, epsilon: 3 }).preprocessingShare).toBe(0.3);
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3 }).preprocessingShare).toBe(0.6);
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, preprocessingShare: 0.2 }).preprocessingShare).toBe(0.2);
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, steps: 0 }).preprocessingShare).toBe(1);
    expect(resolveSettings({ train: physionet, rows: 20, epsilon: 3, initialisation: 'mst' }).preprocessingShare).toBe(0.3);
  });
});
