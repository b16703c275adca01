/**
 * Small inline-SVG charts for the page: line/step charts (loss trace, Kaplan–Meier) and
 * distribution comparisons. Series differ by dash pattern and marker shape as well as colour, each
 * chart has a text alternative, and the numbers are also shown in tables beside them.
 */
import { formatNumber, h, svg } from './dom.js';

export interface Series {
  label: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Draw as a right-continuous step function (survival curves). */
  step?: boolean;
  style: 0 | 1 | 2;
}

const STYLES = [
  { stroke: '#1d4f91', dash: '', marker: 'circle' },
  { stroke: '#b3470e', dash: '6 4', marker: 'square' },
  { stroke: '#3d3d3d', dash: '2 3', marker: 'triangle' },
] as const;

const W = 520;
const H = 220;
const M = { left: 56, right: 12, top: 12, bottom: 40 };

function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= step0)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(10)));
  return ticks;
}

function marker(kind: string, x: number, y: number, color: string): SVGElement {
  if (kind === 'square') return svg('rect', { x: x - 3, y: y - 3, width: 6, height: 6, fill: color });
  if (kind === 'triangle') return svg('path', { d: `M${x},${y - 4}L${x + 4},${y + 3}L${x - 4},${y + 3}Z`, fill: color });
  return svg('circle', { cx: x, cy: y, r: 3, fill: color });
}

/** A line (or step) chart with axes, a legend and a text description. */
export function lineChart(options: { title: string; xLabel: string; yLabel: string; series: Series[]; yRange?: [number, number] }): HTMLElement {
  const { series } = options;
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.xs.length; i++) {
      if (!Number.isFinite(s.xs[i]) || !Number.isFinite(s.ys[i])) continue;
      xMin = Math.min(xMin, s.xs[i]); xMax = Math.max(xMax, s.xs[i]);
      yMin = Math.min(yMin, s.ys[i]); yMax = Math.max(yMax, s.ys[i]);
    }
  }
  if (options.yRange) [yMin, yMax] = options.yRange;
  if (!Number.isFinite(xMin)) { xMin = 0; xMax = 1; yMin = 0; yMax = 1; }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) { yMax += 0.5; yMin -= 0.5; }
  const px = (x: number) => M.left + ((x - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': options.title, class: 'chart' });
  root.append(svg('title', {}, options.title));
  const axes = svg('g', { class: 'axes' });
  for (const t of niceTicks(yMin, yMax)) {
    axes.append(svg('line', { x1: M.left, x2: W - M.right, y1: py(t), y2: py(t), class: 'grid' }));
    axes.append(svg('text', { x: M.left - 6, y: py(t) + 4, 'text-anchor': 'end' }, formatNumber(t)));
  }
  for (const t of niceTicks(xMin, xMax)) axes.append(svg('text', { x: px(t), y: H - M.bottom + 16, 'text-anchor': 'middle' }, formatNumber(t)));
  axes.append(svg('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }));
  axes.append(svg('line', { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: 'axis' }));
  axes.append(svg('text', { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle' }, options.xLabel));
  axes.append(svg('text', { x: 12, y: (M.top + H - M.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(M.top + H - M.bottom) / 2})` }, options.yLabel));
  root.append(axes);
  for (const s of series) {
    const style = STYLES[s.style];
    let d = '';
    let last: [number, number] | undefined;
    const g = svg('g', {});
    const every = Math.max(1, Math.ceil(s.xs.length / 12));
    for (let i = 0; i < s.xs.length; i++) {
      if (!Number.isFinite(s.xs[i]) || !Number.isFinite(s.ys[i])) continue;
      const x = px(s.xs[i]);
      const y = py(Math.min(yMax, Math.max(yMin, s.ys[i])));
      if (!last) d += `M${x.toFixed(1)},${y.toFixed(1)}`;
      else if (s.step) d += `H${x.toFixed(1)}V${y.toFixed(1)}`;
      else d += `L${x.toFixed(1)},${y.toFixed(1)}`;
      if (i % every === 0) g.append(marker(style.marker, x, y, style.stroke));
      last = [x, y];
    }
    root.append(svg('path', { d, fill: 'none', stroke: style.stroke, 'stroke-width': 2, 'stroke-dasharray': style.dash || undefined }), g);
  }
  return h('figure', { class: 'chart-figure' }, h('p', { class: 'chart-title', 'aria-hidden': 'true' }, options.title), root, legend(series.map((s) => ({ label: s.label, style: s.style }))));
}

export function legend(items: { label: string; style: 0 | 1 | 2 }[]): HTMLElement {
  return h(
    'figcaption',
    { class: 'legend' },
    ...items.map(({ label, style }) => {
      const st = STYLES[style];
      const key = svg('svg', { width: 34, height: 10, 'aria-hidden': 'true' },
        svg('line', { x1: 0, x2: 34, y1: 5, y2: 5, stroke: st.stroke, 'stroke-width': 2, 'stroke-dasharray': st.dash || undefined }),
        marker(st.marker, 17, 5, st.stroke));
      return h('span', { class: 'legend-item' }, key, ' ', label);
    }),
  );
}

/**
 * Side-by-side horizontal bars of two distributions over the same categories (level shares, or
 * histogram bins), each bar labelled with its value so nothing depends on colour.
 */
export function pairedBars(options: { title: string; categories: string[]; a: { label: string; values: number[] }; b: { label: string; values: number[] } }): HTMLElement {
  const rowH = 30;
  const left = 110;
  const width = 520;
  const height = options.categories.length * rowH + 8;
  const max = Math.max(1e-9, ...options.a.values, ...options.b.values);
  const scale = (v: number) => (v / max) * (width - left - 60);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': options.title, class: 'chart' });
  root.append(svg('title', {}, options.title));
  options.categories.forEach((c, i) => {
    const y = 4 + i * rowH;
    root.append(svg('text', { x: left - 6, y: y + 17, 'text-anchor': 'end' }, c.length > 14 ? c.slice(0, 13) + '…' : c));
    for (const [k, s] of [options.a, options.b].entries()) {
      const st = STYLES[k];
      const v = s.values[i];
      const yy = y + k * 13;
      root.append(svg('rect', { x: left, y: yy, width: Math.max(0, scale(v)), height: 11, fill: st.stroke, 'fill-opacity': k === 0 ? 0.85 : 0.45, stroke: st.stroke, 'stroke-dasharray': st.dash || undefined }));
      root.append(svg('text', { x: left + Math.max(0, scale(v)) + 4, y: yy + 10, class: 'bar-value' }, `${(v * 100).toFixed(0)}%`));
    }
  });
  return h('figure', { class: 'chart-figure' }, h('p', { class: 'chart-title', 'aria-hidden': 'true' }, options.title), root, legend([{ label: options.a.label, style: 0 }, { label: options.b.label, style: 1 }]));
}

/**
 * Numeric features side by side: each feature's mean ± one standard deviation as a share of its
 * bounds, released DP (circle, solid) above synthetic (square, dashed), with the values as text.
 */
export function rangeComparison(options: { title: string; rows: { name: string; bounds: [number, number]; a: { mean: number; sd: number }; b: { mean: number; sd: number } }[]; a: string; b: string }): HTMLElement {
  const rowH = 34;
  const left = 110;
  const width = 520;
  const right = 20;
  const height = options.rows.length * rowH + 24;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': options.title, class: 'chart' });
  root.append(svg('title', {}, options.title));
  const px = (share: number) => left + Math.min(1, Math.max(0, share)) * (width - left - right);
  for (const [t, label] of [[0, 'low bound'], [0.5, 'middle'], [1, 'high bound']] as const) {
    root.append(svg('line', { x1: px(t), x2: px(t), y1: 0, y2: height - 18, class: 'grid' }));
    root.append(svg('text', { x: px(t), y: height - 4, 'text-anchor': t === 0 ? 'start' : t === 1 ? 'end' : 'middle' }, label));
  }
  options.rows.forEach((row, i) => {
    const y = 6 + i * rowH;
    const [low, high] = row.bounds;
    const share = (v: number) => (v - low) / (high - low);
    root.append(svg('text', { x: left - 6, y: y + 15, 'text-anchor': 'end' }, row.name.length > 14 ? row.name.slice(0, 13) + '…' : row.name));
    for (const [k, m] of [row.a, row.b].entries()) {
      const st = STYLES[k];
      const yy = y + 6 + k * 12;
      if (!Number.isFinite(m.mean)) continue;
      const sd = Number.isFinite(m.sd) ? m.sd : 0;
      root.append(svg('line', { x1: px(share(m.mean - sd)), x2: px(share(m.mean + sd)), y1: yy, y2: yy, stroke: st.stroke, 'stroke-width': 2, 'stroke-dasharray': st.dash || undefined }));
      root.append(marker(st.marker, px(share(m.mean)), yy, st.stroke));
    }
  });
  return h('figure', { class: 'chart-figure' }, h('p', { class: 'chart-title', 'aria-hidden': 'true' }, options.title), root, legend([{ label: `${options.a}: mean ± sd`, style: 0 }, { label: `${options.b}: mean ± sd`, style: 1 }]));
}
