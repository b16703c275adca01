/**
 * The statistics of the empirical privacy audit (docs/AUDIT.md):
 *
 * - `oneRunEpsilonLowerBound`: Steinke, Nasr & Jagielski (2023), "Privacy auditing with one (1)
 *   training run". m canaries are each included independently with probability ½; the auditor
 *   makes r guesses (in/out) from scores and gets W right. If the run is ε-DP, W is stochastically
 *   dominated by Binomial(r, e^ε/(1 + e^ε)), so the largest ε whose tail P[Binomial ≥ W] is still
 *   below the level α is rejected; the bound is the ε where the tail equals α. For (ε, δ)-DP their
 *   theorem adds a δ term; we account for it conservatively by testing at level α − 2mδ (this only
 *   lowers the bound).
 * - `aucWithInterval`, `tprAtFpr`: membership inference over repeated runs with and without a
 *   target — the area under the ROC curve (Mann–Whitney, ties ½) with a percentile bootstrap
 *   interval, and the true-positive rate at a false-positive rate ≤ 1 % with a Clopper–Pearson
 *   interval.
 */
import { SeededRng } from '../core/rng.js';

/** log P[Binomial(r, p) ≥ v]. */
export function logBinomialTail(r: number, v: number, p: number): number {
  if (v <= 0) return 0;
  if (v > r) return -Infinity;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logChoose = 0; // log C(r, k), built up from k = 0
  const terms: number[] = [];
  for (let k = 0; k <= r; k++) {
    if (k > 0) logChoose += Math.log((r - k + 1) / k);
    if (k >= v) terms.push(logChoose + k * logP + (r - k) * logQ);
  }
  const max = Math.max(...terms);
  return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
}

/** The one-run ε lower bound at confidence 1 − level from r guesses with `correct` right. */
export function oneRunEpsilonLowerBound(r: number, correct: number, options: { level?: number; delta?: number; canaries?: number } = {}): number {
  const level = (options.level ?? 0.05) - 2 * (options.canaries ?? 0) * (options.delta ?? 0);
  if (!(level > 0) || r === 0 || correct <= r / 2) return 0;
  const tail = (eps: number) => Math.exp(logBinomialTail(r, correct, 1 / (1 + Math.exp(-eps))));
  if (tail(0) >= level) return 0;
  let lo = 0;
  let hi = 60;
  if (tail(hi) < level) return hi;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) < level) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Guess "in" for the `k` highest scores and "out" for the `k` lowest (the rest abstain; ties broken
 * by a seeded shuffle), and count the right guesses.
 */
export function scoreGuesses(scores: Float64Array, included: Uint8Array, k: number, seed = 0): { guesses: number; correct: number } {
  const rng = new SeededRng(seed);
  const order = Array.from(scores.keys());
  const jitter = order.map(() => rng.uniform());
  order.sort((a, b) => scores[b] - scores[a] || jitter[a] - jitter[b]);
  const top = Math.min(k, Math.floor(order.length / 2));
  let correct = 0;
  for (let i = 0; i < top; i++) correct += included[order[i]];
  for (let i = order.length - top; i < order.length; i++) correct += 1 - included[order[i]];
  return { guesses: 2 * top, correct };
}

/** AUC of scores (higher = "member") of members vs non-members; ties count ½. */
export function auc(members: readonly number[], nonMembers: readonly number[]): number {
  let wins = 0;
  for (const a of members) for (const b of nonMembers) wins += a > b ? 1 : a === b ? 0.5 : 0;
  return wins / (members.length * nonMembers.length);
}

/** AUC with a 95 % percentile-bootstrap interval (both groups resampled). */
export function aucWithInterval(members: readonly number[], nonMembers: readonly number[], resamples = 1000, seed = 1): { auc: number; low: number; high: number } {
  const rng = new SeededRng(seed);
  const draw = (xs: readonly number[]) => xs.map(() => xs[rng.int(xs.length)]);
  const values = Array.from({ length: resamples }, () => auc(draw(members), draw(nonMembers))).sort((a, b) => a - b);
  return { auc: auc(members, nonMembers), low: values[Math.floor(0.025 * resamples)], high: values[Math.ceil(0.975 * resamples) - 1] };
}

/**
 * TPR at FPR ≤ `fpr`: the threshold lets through at most ⌊fpr·N⌋ of the N non-members (so with
 * N < 1/fpr it is the largest non-member score, and the achieved FPR is 0); Clopper–Pearson 95 %
 * interval on the TPR.
 */
export function tprAtFpr(members: readonly number[], nonMembers: readonly number[], fpr = 0.01): { tpr: number; low: number; high: number; achievedFpr: number; hits: number; falseHits: number } {
  const sorted = [...nonMembers].sort((a, b) => b - a);
  const allowed = Math.floor(fpr * sorted.length);
  const threshold = sorted[allowed] ?? -Infinity;
  const hits = members.filter((s) => s > threshold).length;
  const falseHits = nonMembers.filter((s) => s > threshold).length;
  const { low, high } = clopperPearson(hits, members.length);
  return { tpr: hits / members.length, low, high, achievedFpr: falseHits / nonMembers.length, hits, falseHits };
}

/**
 * The ε a membership test at one threshold proves: an (ε, δ)-DP release has TPR ≤ e^ε·FPR + δ, so
 * with TPR ≥ its Clopper–Pearson lower end and FPR ≤ its upper end (each holding with 97.5 %),
 * ε ≥ ln((TPR_low − δ) / FPR_high) with 95 % confidence (0 when that is not positive).
 */
export function membershipEpsilonLower(hits: number, members: number, falseHits: number, nonMembers: number, delta = 0): number {
  const tprLow = clopperPearson(hits, members).low;
  const fprHigh = clopperPearson(falseHits, nonMembers).high;
  return tprLow - delta > fprHigh ? Math.log((tprLow - delta) / fprHigh) : 0;
}

/** Exact (Clopper–Pearson) 95 % interval for a binomial proportion k/n. */
export function clopperPearson(k: number, n: number): { low: number; high: number } {
  const solve = (target: (p: number) => number) => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (target(mid) < 0) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  // low: P[X ≥ k | p] = 0.025 (increasing in p); high: P[X ≤ k | p] = 0.025 (decreasing in p).
  const low = k === 0 ? 0 : solve((p) => Math.exp(logBinomialTail(n, k, p)) - 0.025);
  const high = k === n ? 1 : solve((p) => 0.025 - (1 - Math.exp(logBinomialTail(n, k + 1, p))));
  return { low, high };
}
