/**
 * Dataset cards: the public description of a clinical table (task, outcome columns, feature types,
 * categories and public bounds, provenance). Everything a card says is treated as public knowledge,
 * so nothing in it may be read off the private data without a DP mechanism.
 */
import { z } from 'zod';

const categoryValue = z.union([z.string(), z.number()]);

export const featureSchema = z
  .object({
    name: z.string().min(1),
    type: z.enum(['numeric', 'integer', 'binary', 'categorical']),
    /** Public [low, high] bounds; absent (or null) when not publicly known. */
    bounds: z.tuple([z.number(), z.number()]).nullable().optional(),
    /** Levels of a categorical (or the two codes of a binary) feature, in a fixed order. */
    categories: z.array(categoryValue).optional(),
    unit: z.string().optional(),
  })
  .superRefine((f, ctx) => {
    if (f.bounds && !(f.bounds[0] < f.bounds[1])) {
      ctx.addIssue({ code: 'custom', message: `feature "${f.name}": bounds must satisfy low < high` });
    }
    if (f.type === 'categorical' && (!f.categories || f.categories.length < 2)) {
      ctx.addIssue({ code: 'custom', message: `categorical feature "${f.name}" needs at least two categories` });
    }
    if (f.type === 'binary' && f.categories && f.categories.length !== 2) {
      ctx.addIssue({ code: 'custom', message: `binary feature "${f.name}" must list exactly two categories` });
    }
    if (f.categories && new Set(f.categories.map(String)).size !== f.categories.length) {
      ctx.addIssue({ code: 'custom', message: `feature "${f.name}" lists a category twice` });
    }
  });

const common = {
  name: z.string().min(1),
  /**
   * Set by `dpcondense card` on a card drafted from the data (its category levels, its positive
   * value were read off the records). A private release refuses a draft: the custodian reviews the
   * card against public knowledge and deletes the flag.
   */
  draft: z.boolean().optional(),
  title: z.string().optional(),
  rows: z.number().int().nonnegative().optional(),
  features: z.array(featureSchema).min(1),
  source: z.string().optional(),
  license: z.string().optional(),
  note: z.string().optional(),
};

export const classificationCardSchema = z.object({
  ...common,
  task: z.literal('classification'),
  label: z.string().min(1),
  /** The label value that counts as the positive class. */
  positive: categoryValue,
  /**
   * The label value of the negative class (optional). With it, a record whose label is neither
   * value is invalid on its own (dropped under `--on-invalid clamp|drop`); without it, a third
   * label value is a file-level error.
   */
  negative: categoryValue.optional(),
});

export const survivalCardSchema = z.object({
  ...common,
  task: z.literal('survival'),
  time: z.string().min(1),
  event: z.string().min(1),
  /**
   * How the event column spells its two states; default 1 = event, 0 = censored. R's `Surv` also
   * accepts 2 = event, 1 = censored and TRUE/FALSE: write `{"event": 2, "censored": 1}` or
   * `{"event": "TRUE", "censored": "FALSE"}`. Synthetic tables are written with the same codes.
   */
  event_codes: z.object({ event: categoryValue, censored: categoryValue }).optional(),
  time_unit: z.string().optional(),
});

export const datasetCardSchema = z
  .discriminatedUnion('task', [classificationCardSchema, survivalCardSchema])
  .superRefine((card, ctx) => {
    const names = card.features.map((f) => f.name);
    const outcome = card.task === 'classification' ? [card.label] : [card.time, card.event];
    const seen = new Set<string>();
    for (const n of [...names, ...outcome]) {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', message: `column "${n}" appears twice in the card` });
      seen.add(n);
    }
    if (card.task === 'classification' && card.negative !== undefined && String(card.negative).trim() === String(card.positive).trim()) {
      ctx.addIssue({ code: 'custom', message: 'negative: the negative and positive label values must differ' });
    }
    if (card.task === 'survival' && card.event_codes && String(card.event_codes.event) === String(card.event_codes.censored)) {
      ctx.addIssue({ code: 'custom', message: 'event_codes: the event and censored codes must differ' });
    }
  });

export type FeatureSpec = z.infer<typeof featureSchema>;
export type ClassificationCard = z.infer<typeof classificationCardSchema>;
export type SurvivalCard = z.infer<typeof survivalCardSchema>;
export type DatasetCard = z.infer<typeof datasetCardSchema>;
export type FeatureType = FeatureSpec['type'];

/** The event column's codes of a survival card (default 1 = event, 0 = censored). */
export function eventCodes(card: SurvivalCard): { event: string | number; censored: string | number } {
  return card.event_codes ?? { event: 1, censored: 0 };
}

/** Parse and validate a card; `source` names the file in error messages. */
export function parseCard(json: unknown, source = 'card'): DatasetCard {
  const result = datasetCardSchema.safeParse(json);
  if (!result.success) {
    // One line, so the CLI's "one line on stderr" rule holds for cards too.
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message.replace(/\s*\n\s*/g, ' ')}`);
    throw new CardError(`${source}: invalid dataset card: ${problems.join('; ')}`);
  }
  return result.data;
}

export class CardError extends Error {
  override name = 'CardError';
}
