/** fast-check generators for random cards and in-bounds tables (shared by the data tests). */
import fc from 'fast-check';
import { parseCard, type DatasetCard, type FeatureSpec } from '../../src/data/card.js';
import type { Table } from '../../src/data/table.js';

const boundsArb = fc
  .tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }))
  .map(([low, width]) => [low, low + width] as [number, number])
  .filter(([low, high]) => low < high);

const intBoundsArb = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 })).map(([low, width]) => [low, low + width] as [number, number]);

const featureArb: fc.Arbitrary<Omit<FeatureSpec, 'name'>> = fc.oneof(
  boundsArb.map((bounds) => ({ type: 'numeric' as const, bounds })),
  intBoundsArb.map((bounds) => ({ type: 'integer' as const, bounds })),
  fc.constant<Omit<FeatureSpec, 'name'>>({ type: 'binary' }),
  fc.constant<Omit<FeatureSpec, 'name'>>({ type: 'binary', categories: ['no', 'yes'] }),
  fc.integer({ min: 2, max: 5 }).map((k) => ({ type: 'categorical' as const, categories: Array.from({ length: k }, (_, i) => `L${i}, "${i}"`) })),
  fc.integer({ min: 2, max: 4 }).map((k) => ({ type: 'categorical' as const, categories: Array.from({ length: k }, (_, i) => i * 10) })),
);

export const cardArb: fc.Arbitrary<DatasetCard> = fc
  .tuple(fc.array(featureArb, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([features, survival]) => {
    const named = features.map((f, i) => ({ ...f, name: `f${i}` }));
    return parseCard(
      survival
        ? { name: 'gen', task: 'survival', time: 'time', event: 'event', features: named }
        : { name: 'gen', task: 'classification', label: 'y', positive: 'yes', features: named },
    );
  });

/** A value inside a feature's bounds (or a valid level index), from a uniform draw u in [0, 1]. */
function valueFor(spec: FeatureSpec, u: number): number {
  if (spec.type === 'binary') return u < 0.5 ? 0 : 1;
  if (spec.type === 'categorical') return Math.min(spec.categories!.length - 1, Math.floor(u * spec.categories!.length));
  const [low, high] = spec.bounds!;
  if (spec.type === 'integer') return Math.min(high, Math.floor(low + u * (high - low + 1)));
  return Math.min(high, Math.max(low, low + u * (high - low)));
}

/** A card and an in-bounds table for it (optionally with missing feature cells). */
export function cardAndTableArb(options: { withMissing: boolean }): fc.Arbitrary<{ card: DatasetCard; table: Table }> {
  return cardArb.chain((card) =>
    fc.integer({ min: 2, max: 12 }).chain((n) =>
      fc
        .tuple(
          fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: card.features.length, maxLength: card.features.length }), {
            minLength: n,
            maxLength: n,
          }),
          fc.array(fc.array(fc.boolean(), { minLength: card.features.length, maxLength: card.features.length }), { minLength: n, maxLength: n }),
          fc.array(fc.double({ min: 1e-3, max: 1e4, noNaN: true }), { minLength: n, maxLength: n }),
        )
        .map(([draws, missingDraws, times]) => {
          const features = card.features.map((spec, f) => {
            const values = new Float64Array(n);
            const missing = new Uint8Array(n);
            for (let i = 0; i < n; i++) {
              if (options.withMissing && missingDraws[i][f] && draws[i][f] < 0.3) {
                values[i] = NaN;
                missing[i] = 1;
              } else values[i] = valueFor(spec, draws[i][f]);
            }
            return { spec, values, missing };
          });
          // Both outcome classes / at least one event, so the table is valid input.
          const outcome = Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? 0 : draws[i][0] < 0.5 ? 1 : 0));
          const table: Table =
            card.task === 'classification'
              ? { card, nRows: n, features, label: outcome, negativeLabel: 'no' }
              : { card, nRows: n, features, time: Float64Array.from(times), event: outcome };
          return { card, table };
        }),
    ),
  );
}
