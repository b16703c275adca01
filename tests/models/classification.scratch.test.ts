import { it } from 'vitest';
import { loadBundledDataset } from '../../src/cli/bundled.js';
import { fitDesign } from '../../src/data/design.js';
import { tableTarget } from '../../src/data/table.js';
import { SeededRng } from '../../src/core/rng.js';
import { createLearner } from '../../src/models/registry.js';
import { auroc } from '../../src/metrics/classification.js';
import type { ClassificationTarget } from '../../src/models/types.js';
it('print', async () => {
  for (const name of ['pima', 'wdbc', 'physionet2012']) {
    const ds = await loadBundledDataset(name);
    const design = fitDesign(ds.train, { categorical: 'one-hot', impute: 'none', standardise: false });
    const X = design.transform(ds.train), Xt = design.transform(ds.test);
    const y = tableTarget(ds.train) as ClassificationTarget;
    const yt = (tableTarget(ds.test) as ClassificationTarget).y;
    const m = createLearner('gbt', { nRounds: 100, learningRate: 0.1, maxDepth: 0, maxLeaves: 31, minSamplesLeaf: 20, lambda: 0, minChildWeight: 1e-3 }, new SeededRng(3)).fit(X, y);
    const c = createLearner('cart', { maxDepth: 5 }, new SeededRng(3)).fit(X, y);
    console.log(name, 'gbt-nan', auroc(yt, m.predictProba(Xt)), 'cart-nan', auroc(yt, c.predictProba(Xt)));
  }
}, 120000);
