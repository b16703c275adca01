/**
 * The report's charts: Vega-Lite specifications built from plain data points, rendered to SVG
 * strings by Vega without a DOM (`View.toSVG` with the headless renderer), so the same code runs
 * in Node and in the browser and the report embeds the SVG inline (no script, no network).
 *
 * Every chart here takes numbers that are already safe to show where the caller puts them (the
 * synthetic table, DP outputs, or — in the marked custodian section — real data); nothing is
 * computed from real records in this module.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const WIDTH = 300;
const HEIGHT = 160;
export const SERIES_COLOURS = { synthetic: '#1f77b4', released: '#d62728', real: '#7f7f7f' };

/** Vega-Lite → SVG markup (no DOM, no canvas; text widths are estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const baseConfig = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 10, titleFontSize: 11, grid: true, gridOpacity: 0.4 },
  legend: { labelFontSize: 10, titleFontSize: 11, orient: 'bottom' as const },
};

export interface HistogramBar {
  start: number;
  end: number;
  /** Share of rows in the bin (0..1). */
  share: number;
}

/**
 * A histogram (bars, shares of rows) with, optionally, the released DP mean and spread as a normal
 * curve scaled to the same shares and a rule at the DP mean.
 */
export function histogramSpec(title: string, bars: HistogramBar[], colour: string, reference?: { mean: number; sd: number; label: string }): TopLevelSpec {
  const layers: object[] = [
    {
      data: { values: bars },
      mark: { type: 'rect', color: colour, opacity: 0.75, stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'start', type: 'quantitative', title, scale: { zero: false } },
        x2: { field: 'end' },
        y: { field: 'share', type: 'quantitative', title: 'share of rows', axis: { format: '.0%' } },
      },
    },
  ];
  if (reference && Number.isFinite(reference.mean)) {
    const width = bars.length ? bars[0].end - bars[0].start : 1;
    const lo = bars.length ? bars[0].start : reference.mean - 3 * reference.sd;
    const hi = bars.length ? bars[bars.length - 1].end : reference.mean + 3 * reference.sd;
    const curve: { x: number; density: number; series: string }[] = [];
    if (reference.sd > 0) {
      for (let k = 0; k <= 60; k++) {
        const x = lo + ((hi - lo) * k) / 60;
        const z = (x - reference.mean) / reference.sd;
        curve.push({ x, density: (width * Math.exp(-0.5 * z * z)) / (reference.sd * Math.sqrt(2 * Math.PI)), series: reference.label });
      }
      layers.push({
        data: { values: curve },
        mark: { type: 'line', color: SERIES_COLOURS.released, strokeWidth: 2 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'density', type: 'quantitative' } },
      });
    }
    layers.push({
      data: { values: [{ mean: reference.mean }] },
      mark: { type: 'rule', color: SERIES_COLOURS.released, strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: { x: { field: 'mean', type: 'quantitative' } },
    });
  }
  return { width: WIDTH, height: HEIGHT, layer: layers, config: baseConfig } as TopLevelSpec;
}

export interface LevelShare {
  level: string;
  series: string;
  share: number;
}

/** Level shares side by side, one bar per series within each level. */
export function levelSharesSpec(title: string, shares: LevelShare[], colours: Record<string, string>): TopLevelSpec {
  const series = Object.keys(colours);
  return {
    width: WIDTH,
    height: HEIGHT,
    data: { values: shares },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'level', type: 'nominal', title, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'series', sort: series },
      y: { field: 'share', type: 'quantitative', title: 'share of rows', axis: { format: '.0%' } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: series.map((s) => colours[s]) } },
    },
    config: baseConfig,
  } as TopLevelSpec;
}

export interface CurvePoint {
  x: number;
  y: number;
  series: string;
}

/** Step curves (Kaplan–Meier), one per series: the first solid, the others dashed, so colour is not the only cue. */
export function stepCurvesSpec(xTitle: string, yTitle: string, points: CurvePoint[], colours: Record<string, string>): TopLevelSpec {
  const series = Object.keys(colours);
  return {
    width: WIDTH * 1.6,
    height: HEIGHT * 1.3,
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: series.map((s) => colours[s]) } },
      strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: series.map((_, k) => (k === 0 ? [1, 0] : [6, 3])) } },
    },
    config: baseConfig,
  } as TopLevelSpec;
}

/** Lines over optimisation steps (the private loss and its running mean). */
export function traceSpec(points: CurvePoint[]): TopLevelSpec {
  return {
    width: WIDTH * 1.6,
    height: HEIGHT * 1.3,
    data: { values: points.filter((p) => Number.isFinite(p.y)) },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'step' },
      y: { field: 'y', type: 'quantitative', title: 'private loss estimate', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: { range: ['#9ecae1', SERIES_COLOURS.synthetic] } },
    },
    config: baseConfig,
  } as TopLevelSpec;
}
