/**
 * A clinical table in columnar typed arrays, as described by its card. Missing feature values are
 * NaN with a matching mask; they are never dropped. Categorical and binary values are stored as the
 * 0-based index of their level in the card's `categories` list (binary without categories: 0/1).
 */
import type { DatasetCard, FeatureSpec } from './card.js';

export interface FeatureColumn {
  readonly spec: FeatureSpec;
  /** Numeric value, or level index for categorical/binary features; NaN where missing. */
  readonly values: Float64Array;
  /** 1 where the value is missing. */
  readonly missing: Uint8Array;
}

export interface Table {
  readonly card: DatasetCard;
  readonly nRows: number;
  readonly features: readonly FeatureColumn[];
  /** Classification: 1 where the label equals the card's positive value, else 0. */
  readonly label?: Uint8Array;
  /** Survival: follow-up time (> 0) and event indicator (1 = event, 0 = censored). */
  readonly time?: Float64Array;
  readonly event?: Uint8Array;
}
