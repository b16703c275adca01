/**
 * Writing a table back as CSV in the user's own terms, so that `readTableFromText` reads the same
 * table again: the card's column names (features in card order, then the outcome), categorical and
 * binary values as their card category labels, numbers in JavaScript's shortest round-trip form
 * (integers without decimals), missing values as empty cells, the label as the card's positive value
 * or the other class value (`negativeLabelOf`), the event in the card's event codes, and — when the
 * table has row weights — a last column `weightColumnName(card)`. Lines end with LF; fields are quoted only when needed.
 */
import { eventCodes } from './card.js';
import { quoteCsvField } from './csv.js';
import { featureView, negativeLabelOf, weightColumnName, type Table } from './table.js';

export function formatTableCsv(table: Table): string {
  const card = table.card;
  const outcomeNames = card.task === 'classification' ? [card.label] : [card.time, card.event];
  const weightNames = table.weight ? [weightColumnName(card)] : [];
  const header = [...table.features.map((c) => c.spec.name), ...outcomeNames, ...weightNames].map(quoteCsvField).join(',');
  const columnText: ((i: number) => string)[] = table.features.map((column) => {
    const { spec, missing } = column;
    // Read in place (no column copies of a row-major table alive at once).
    const { data, offset, stride } = featureView(column);
    if (spec.type === 'binary' || spec.type === 'categorical') {
      const labels = (spec.categories ?? [0, 1]).map((c) => quoteCsvField(String(c)));
      return (i: number) => (missing[i] ? '' : labels[data[offset + i * stride]]);
    }
    return (i: number) => (missing[i] ? '' : String(data[offset + i * stride]));
  });
  if (card.task === 'classification') {
    const label = table.label!;
    const positive = quoteCsvField(String(card.positive));
    const negative = quoteCsvField(String(negativeLabelOf(table)));
    columnText.push((i) => (label[i] ? positive : negative));
  } else {
    const time = table.time!;
    const event = table.event!;
    const codes = eventCodes(card);
    const spelled = [quoteCsvField(String(codes.censored)), quoteCsvField(String(codes.event))];
    columnText.push((i) => String(time[i]));
    columnText.push((i) => spelled[event[i]]);
  }
  const weight = table.weight;
  if (weight) columnText.push((i) => String(weight[i]));
  const lines = new Array<string>(table.nRows + 1);
  lines[0] = header;
  const cells = new Array<string>(columnText.length);
  for (let i = 0; i < table.nRows; i++) {
    for (let j = 0; j < columnText.length; j++) cells[j] = columnText[j](i);
    lines[i + 1] = cells.join(',');
  }
  return lines.join('\n') + '\n';
}
