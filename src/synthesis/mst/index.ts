/** MST: a DP synthesiser from noisy marginals on a maximum spanning tree (see `mst.ts`). */
export { MST_DEFAULTS, MST_MECHANISM, MstModel, fitMst, planMstBudget, selectTree, synthesise } from './mst.js';
export type { MstBudgetPlan, MstFitOptions, SynthesiseOptions, SynthesiseResult } from './mst.js';
export { TreeModel, allocateCounts, estimateTreeModel } from './treeModel.js';
export type { CliqueMeasurement, Evidence, Marginals } from './treeModel.js';
