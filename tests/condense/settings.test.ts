import { describe, expect, it } from 'vitest';
import { DEFAULTS, DEFAULT_LEARNERS, OptionError, SETTINGS, formatLearnerList, learnerChoiceName, parseLearnerList, parseSettings, receiptParameterKeys, resolveSettings } from '../../src/condense/settings.js';
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

  it('without learners a table is condensed for the documented defaults: logistic + CART + a 4-tree forest, and Cox alone (its coefficients halved) for survival', async () => {
    // docs/RESULTS.md, "Default learners", "Session 24", "Session 30" and "Session 34": the forest joined
    // the classification loss by a rule fixed before its grid, and so did the halved Cox (rule N); a
    // survival tree or forest beside Cox did not.
    expect(DEFAULT_LEARNERS).toEqual({ classification: ['logistic', 'cart', { name: 'rf', params: { nTrees: 4 } }], survival: [{ name: 'cox', params: { shrinkage: 0.5 } }] });
    for (const name of ['pima', 'rotterdam']) {
      const { train } = await dataset(name);
      const task = train.card.task;
      const learners = resolveSettings({ train, rows: 10, epsilon: 1 }).learners;
      expect(learners.map((l) => l.name)).toEqual(DEFAULT_LEARNERS[task].map(learnerChoiceName));
      // A default's own parameters reach the recipe; the others keep the learner's defaults.
      for (const [k, choice] of DEFAULT_LEARNERS[task].entries()) if (typeof choice !== 'string') expect(learners[k].params).toMatchObject(choice.params!);
    }
    // The --model help (CLI and web) states the same defaults, in the flag's own syntax.
    expect(SETTINGS.learners.meta.help).toContain('(default: logistic,cart,rf:nTrees=4; cox:shrinkage=0.5 for survival)');
    expect(parseLearnerList(formatLearnerList(DEFAULT_LEARNERS.classification))).toEqual(DEFAULT_LEARNERS.classification);
    expect(parseLearnerList(formatLearnerList(DEFAULT_LEARNERS.survival))).toEqual(DEFAULT_LEARNERS.survival);
  });

  it('K defaults by task (16 classification, 64 survival: rule Q), an explicit --directions wins, and the help says so', async () => {
    expect(DEFAULTS.directions).toEqual({ classification: 16, survival: 64 });
    for (const [name, K] of [['pima', 16], ['rotterdam', 64]] as const) {
      const { train } = await dataset(name);
      expect(resolveSettings({ train, rows: 10, epsilon: 1 }).directions).toBe(K);
      expect(resolveSettings({ train, rows: 10, epsilon: 1, directions: 5 }).directions).toBe(5);
    }
    expect(SETTINGS.directions.meta.help).toContain('default 16 classification, 64 survival');
  });

  it('the receipt lists the settings in schema order, each followed by the values derived from it', () => {
    const keys = receiptParameterKeys();
    expect(keys.slice(0, 3)).toEqual(['rows', 'learners', 'epsilon']);
    expect(keys.indexOf('samplingRate')).toBe(keys.indexOf('batchSize') + 1);
    expect(keys).not.toContain('seed');
    for (const key of Object.keys(SETTINGS)) if (SETTINGS[key as keyof typeof SETTINGS].meta.receipt !== false) expect(keys).toContain(key);
  });
});

