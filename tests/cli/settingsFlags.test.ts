import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/condense/settings.js';
import { addSettingFlags, settingsFromFlags } from '../../src/cli/settingsFlags.js';
import { parseLearnerList } from '../../src/condense/settings.js';

describe('CLI flags from the settings schema', () => {
  it('every setting except the bounds map has a flag, and the parsed flags are typed settings', () => {
    const command = addSettingFlags(new Command('condense').exitOverride());
    const flags = command.options.map((o) => o.long);
    for (const [key, { meta }] of Object.entries(SETTINGS)) {
      if (key === 'bounds') continue;
      expect(flags, key).toContain(`--${meta.flag}`);
    }
    command.parse(['--rows', '12', '--epsilon', 'inf', '--optimise-times', '--p-min', '0.05', '--optimiser', 'adam', '--model', 'cart:maxDepth=4,rf:nTrees=50:bootstrap=false'], { from: 'user' });
    expect(settingsFromFlags(command.opts())).toEqual({
      rows: 12,
      epsilon: Infinity,
      optimiseTimes: true,
      pMin: 0.05,
      optimiser: 'adam',
      learners: [
        { name: 'cart', params: { maxDepth: 4 } },
        { name: 'rf', params: { nTrees: 50, bootstrap: false } },
      ],
    });
  });

  it('parses learner lists: plain names, parameters after colons, continued parameters, string values', () => {
    expect(parseLearnerList('cart, logistic')).toEqual(['cart', 'logistic']);
    expect(parseLearnerList('rf:nTrees=20,maxFeatures=all,gbt')).toEqual([{ name: 'rf', params: { nTrees: 20, maxFeatures: 'all' } }, 'gbt']);
    expect(() => parseLearnerList('maxDepth=3')).toThrow(/needs a learner/);
    expect(() => parseLearnerList('cart:maxDepth')).toThrow(/name=value/);
  });
});
