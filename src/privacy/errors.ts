/**
 * Errors of the privacy layer. Both are thrown before anything is released or recorded, so a
 * caller that catches them has spent nothing.
 */

/** Spending would exceed the privacy budget (or the budget cannot be met at all). */
export class PrivacyBudgetError extends Error {
  override readonly name = 'PrivacyBudgetError';
}

/** A mechanism or accountant was given parameters outside its domain (σ < 0, q ∉ [0, 1], …). */
export class PrivacyParameterError extends Error {
  override readonly name = 'PrivacyParameterError';
}
