// Hand-written SVG charts (no plotting dependency): one panel per environment.
// - matmulChartSvg: GFLOP/s vs matrix size (square sweep, log2 x axis), one line per engine;
// - trainingChartSvg: ms/step per engine for each MLP (horizontal bars, log x axis).
import type { EngineName } from '../engines/types.ts';
import { fmt } from '../suites/common.ts';
import type { SuiteRun } from '../suites/types.ts';
import type { BenchRun } from './markdown.ts';

const COLORS: Record<EngineName, string> = {
  webgrad: '#d62728',
  'webgrad-captured': '#ff7f0e',
  'webgrad-composite': '#8c564b',
  tfjs: '#1f77b4',
  'jax-js': '#2ca02c',
  'jax-js-jit': '#9467bd',
};
const TITLES: Record<EngineName, string> = {
  webgrad: 'webgrad', 'webgrad-captured': 'webgrad captured', 'webgrad-composite': 'webgrad composite', tfjs: 'TF.js', 'jax-js': 'jax-js', 'jax-js-jit': 'jax-js jit',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;

function envTitle(r: SuiteRun): string {
  const a = r.environment.adapter;
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ');
  if (r.environment.kind === 'node') return `Node / Dawn: ${a.driver} (${name})`;
  return `${r.environment.kind === 'firefox' ? 'Firefox' : 'Chromium'}: ${name || (a.isFallbackAdapter ? 'fallback adapter' : 'adapter.info empty')}`;
}

function svgDoc(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** "Nice" upper bound for a linear axis. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function matmulChartSvg(run: BenchRun): string {
  const panelW = 460;
  const panelH = 300;
  const pad = { l: 56, r: 16, t: 40, b: 44 };
  const runs = run.runs.filter((r) => r.rows.some((x) => x.suite === 'matmul'));
  const width = Math.max(1, runs.length) * panelW;
  const body: string[] = [];
  const legend = new Set<EngineName>();
  runs.forEach((r, p) => {
    const x0 = p * panelW;
    const rows = r.rows.filter((x) => x.suite === 'matmul' && /^\d+\^3$/.test(x.case) && x.metric && !x.error);
    const sizes = [...new Set(rows.map((x) => Number(x.extra.M)))].sort((a, b) => a - b);
    const ymax = niceMax(Math.max(...rows.map((x) => x.metric!.max), 0));
    const plotW = panelW - pad.l - pad.r;
    const plotH = panelH - pad.t - pad.b;
    const lo = Math.log2(sizes[0] ?? 128);
    const hi = Math.log2(sizes[sizes.length - 1] ?? 2048);
    const px = (n: number) => x0 + pad.l + (hi > lo ? ((Math.log2(n) - lo) / (hi - lo)) * plotW : plotW / 2);
    const py = (v: number) => pad.t + plotH - (v / ymax) * plotH;
    body.push(text(x0 + pad.l, 18, envTitle(r), 'font-weight="bold"'));
    body.push(text(x0 + pad.l, 32, 'matmul f32 N x N x N: GFLOP/s (median; bars: min-max)', 'fill="#555"'));
    for (let i = 0; i <= 5; i++) {
      const v = (ymax * i) / 5;
      body.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + plotW}" y1="${py(v)}" y2="${py(v)}" stroke="#e5e5e5"/>`);
      body.push(text(x0 + pad.l - 6, py(v) + 4, fmt(v), 'text-anchor="end" fill="#555"'));
    }
    for (const n of sizes) body.push(text(px(n), pad.t + plotH + 16, String(n), 'text-anchor="middle" fill="#555"'));
    body.push(text(x0 + pad.l + plotW / 2, panelH - 8, 'N (log scale)', 'text-anchor="middle" fill="#555"'));
    for (const e of [...new Set(rows.map((x) => x.engine))]) {
      legend.add(e);
      const pts = rows.filter((x) => x.engine === e).sort((a, b) => Number(a.extra.M) - Number(b.extra.M));
      body.push(`<polyline fill="none" stroke="${COLORS[e]}" stroke-width="2" points="${pts.map((q) => `${px(Number(q.extra.M)).toFixed(1)},${py(q.metric!.value).toFixed(1)}`).join(' ')}"/>`);
      for (const q of pts) {
        const cx = px(Number(q.extra.M));
        body.push(`<line x1="${cx}" x2="${cx}" y1="${py(q.metric!.min)}" y2="${py(q.metric!.max)}" stroke="${COLORS[e]}"/>`);
        body.push(`<circle cx="${cx.toFixed(1)}" cy="${py(q.metric!.value).toFixed(1)}" r="3" fill="${COLORS[e]}"><title>${esc(`${TITLES[e]} ${q.case}: ${fmt(q.metric!.value)} GFLOP/s`)}</title></circle>`);
      }
    }
    body.push(`<rect x="${x0 + pad.l}" y="${pad.t}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  });
  const legendY = 300 + 8;
  [...legend].forEach((e, i) => {
    const lx = 20 + i * 150;
    body.push(`<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${COLORS[e]}"/>`, text(lx + 18, legendY + 10, TITLES[e]));
  });
  return svgDoc(width, legendY + 24, body);
}

export function trainingChartSvg(run: BenchRun): string {
  const runs = run.runs.filter((r) => r.rows.some((x) => x.suite === 'training'));
  const panelW = 460;
  const barH = 16;
  const pad = { l: 130, r: 70, t: 40 };
  const body: string[] = [];
  let height = 0;
  // One log scale for every panel, so bars compare across environments.
  const values = runs.flatMap((r) => r.rows.filter((x) => x.suite === 'training' && x.metric && !x.error).map((x) => x.metric!.max));
  const lo = Math.log10(Math.min(...values, 1)) - 0.1;
  const hi = Math.log10(Math.max(...values, 10)) + 0.05;
  runs.forEach((r, p) => {
    const x0 = p * panelW;
    const rows = r.rows.filter((x) => x.suite === 'training' && x.metric && !x.error);
    const plotW = panelW - pad.l - pad.r;
    const px = (v: number) => x0 + pad.l + ((Math.log10(v) - lo) / (hi - lo)) * plotW;
    body.push(text(x0 + 10, 18, envTitle(r), 'font-weight="bold"'));
    body.push(text(x0 + 10, 32, 'training step: wall-clock ms/step (log scale, lower is better)', 'fill="#555"'));
    let y = pad.t + 6;
    for (const c of [...new Set(rows.map((x) => x.case))]) {
      body.push(text(x0 + 10, y + 10, c, 'font-weight="bold"'));
      y += 16;
      for (const q of rows.filter((x) => x.case === c)) {
        const m = q.metric!;
        body.push(text(x0 + pad.l - 6, y + barH - 4, TITLES[q.engine], 'text-anchor="end"'));
        body.push(`<rect x="${x0 + pad.l}" y="${y}" width="${Math.max(1, px(m.value) - x0 - pad.l).toFixed(1)}" height="${barH}" fill="${COLORS[q.engine]}"><title>${esc(`${TITLES[q.engine]}: ${fmt(m.value)} ms/step (${fmt(m.min)}-${fmt(m.max)})`)}</title></rect>`);
        body.push(`<line x1="${px(m.min).toFixed(1)}" x2="${px(m.max).toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#333"/>`);
        body.push(text(px(Math.max(m.value, m.max)) + 4, y + barH - 4, `${fmt(m.value)} ms`));
        y += barH + 4;
      }
      y += 8;
    }
    height = Math.max(height, y + 10);
  });
  return svgDoc(Math.max(1, runs.length) * panelW, Math.max(height, 80), body);
}
