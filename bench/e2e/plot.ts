// Percentiles, and hand-written SVG charts (no dependencies): scatter panels with
// several series, stacked in one figure.

/** The p-th percentile (0..100) by nearest rank; NaN for no data. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export interface Series {
  name: string;
  color: string;
  points: readonly [number, number][];
  /** Draw as a line through the points instead of dots. */
  line?: boolean;
  radius?: number;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  /** Horizontal reference lines (targets). */
  marks?: { y: number; label: string; color: string }[];
  /** Category names for x = 0, 1, 2, ... instead of numeric ticks. */
  categories?: string[];
}

const width = 900;
const panelHeight = 300;
const margin = { left: 70, right: 20, top: 44, bottom: 46 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const step = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-9; t += nice) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 10_000) return `${Math.round(v / 1000)}k`;
  return Number(v.toPrecision(4)).toString();
}

function panelSvg(panel: Panel, top: number): string {
  const plotW = width - margin.left - margin.right;
  const plotH = panelHeight - margin.top - margin.bottom;
  const all = panel.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter((y) => Number.isFinite(y));
  for (const m of panel.marks ?? []) ys.push(m.y);
  let [xMin, xMax] = [Math.min(0, ...xs), Math.max(1, ...xs)];
  if (panel.categories) [xMin, xMax] = [-0.5, panel.categories.length - 0.5];
  const logY = panel.logY ?? false;
  const positive = ys.filter((y) => y > 0);
  let [yMin, yMax] = logY ? [Math.min(...positive, 1), Math.max(...positive, 10)] : [0, Math.max(1, ...ys) * 1.05];
  if (logY) [yMin, yMax] = [10 ** Math.floor(Math.log10(yMin)), 10 ** Math.ceil(Math.log10(yMax))];
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const sy = (y: number) => {
    const f = logY ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1) : (y - yMin) / (yMax - yMin || 1);
    return top + margin.top + plotH - f * plotH;
  };
  const out: string[] = [];
  out.push(`<text x="${margin.left}" y="${top + 18}" font-size="13" font-weight="bold">${escape(panel.title)}</text>`);
  out.push(`<rect x="${margin.left}" y="${top + margin.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999"/>`);
  const yTicks = logY ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i) : niceTicks(yMin, yMax);
  for (const t of yTicks) {
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${margin.left - 6}" y="${sy(t) + 4}" font-size="11" text-anchor="end">${formatTick(t)}</text>`);
  }
  if (panel.categories) {
    const every = Math.max(1, Math.ceil(panel.categories.length / 26));
    panel.categories.forEach((name, i) => {
      if (i % every !== 0 && i !== 0) return;
      const x = sx(i);
      out.push(`<text x="${x}" y="${top + margin.top + plotH + 14}" font-size="9" text-anchor="end" transform="rotate(-40 ${x} ${top + margin.top + plotH + 14})">${escape(name)}</text>`);
    });
  } else {
    for (const t of niceTicks(xMin, xMax, 10)) {
      out.push(`<text x="${sx(t)}" y="${top + margin.top + plotH + 16}" font-size="11" text-anchor="middle">${formatTick(t)}</text>`);
    }
  }
  out.push(`<text x="${margin.left + plotW / 2}" y="${top + panelHeight - 8}" font-size="12" text-anchor="middle">${escape(panel.xLabel)}</text>`);
  out.push(`<text x="16" y="${top + margin.top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${top + margin.top + plotH / 2})">${escape(panel.yLabel)}</text>`);
  for (const m of panel.marks ?? []) {
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${sy(m.y)}" y2="${sy(m.y)}" stroke="${m.color}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${margin.left + plotW - 4}" y="${sy(m.y) - 4}" font-size="11" text-anchor="end" fill="${m.color}">${escape(m.label)}</text>`);
  }
  for (const s of panel.series) {
    if (s.line) {
      const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    } else {
      const r = s.radius ?? 1.6;
      for (const [x, y] of s.points) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${r}" fill="${s.color}" fill-opacity="0.6"/>`);
    }
  }
  // Legend.
  let lx = margin.left;
  for (const s of panel.series) {
    out.push(`<rect x="${lx}" y="${top + 27}" width="10" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 14}" y="${top + 36}" font-size="11">${escape(s.name)}</text>`);
    lx += 24 + s.name.length * 6.2;
  }
  return out.join('\n');
}

/** One SVG with the panels stacked, under a caption. */
export function figure(caption: string, panels: Panel[]): string {
  const height = 30 + panels.length * panelHeight;
  const body = panels.map((p, i) => panelSvg(p, 30 + i * panelHeight)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fafafa"/>
<text x="${width / 2}" y="20" font-size="15" text-anchor="middle">${escape(caption)}</text>
${body}
</svg>
`;
}
