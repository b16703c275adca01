/**
 * The task of a dataset and its outcome as a learner sees it: the data layer owns these (a table's
 * outcome columns are a target), and every layer above imports them from here.
 */
export type Task = 'classification' | 'survival';

/** Binary outcome: 1 = positive class. */
export interface ClassificationTarget {
  readonly task: 'classification';
  readonly y: Uint8Array;
}

/** Right-censored outcome: event 1 = event observed at `time`, 0 = censored at `time`. */
export interface SurvivalTarget {
  readonly task: 'survival';
  readonly time: Float64Array;
  readonly event: Uint8Array;
}

export type Target = ClassificationTarget | SurvivalTarget;
