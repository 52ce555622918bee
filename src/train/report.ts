// Reporting without dependencies: a one-line progress bar and a hand-written SVG chart of the
// loss (per step and per epoch) and the train/test accuracy per epoch. Pure string functions,
// usable in Node and in the browser.
import type { EpochLog, Progress } from './fit.ts';

/** "epoch 3/20 [#######.......] 40/80 loss 0.2345 (last 0.2101) 31.2 steps/s" */
export function formatProgress(p: Progress, epochs: number, width = 24): string {
  const filled = Math.round((p.step / p.steps) * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const pad = String(p.steps).length;
  return (
    `epoch ${String(p.epoch + 1).padStart(String(epochs).length)}/${epochs} [${bar}] ` +
    `${String(p.step).padStart(pad)}/${p.steps} loss ${p.loss.toFixed(4)} (last ${p.lastLoss.toFixed(4)}) ` +
    `${p.stepsPerSec.toFixed(1)} steps/s`
  );
}

/** The series `trainingChartSvg()` draws. */
export interface ChartData {
  title?: string;
  /** Loss of every training step, in order. */
  stepLosses: readonly number[];
  epochs: readonly EpochLog[];
  /** Legend of the train accuracy curve (default 'train acc'). */
  trainAccuracyLabel?: string;
}

const W = 960;
const H = 380;
const PAD = { left: 58, right: 18, top: 44, bottom: 48 };
const PANEL_GAP = 70;

interface Series {
  label: string;
  color: string;
  points: [number, number][];
  width?: number;
  dots?: boolean;
  opacity?: number;
}

/** A self-contained SVG (two panels: loss, accuracy). */
export function trainingChartSvg(d: ChartData): string {
  const panelW = (W - PANEL_GAP) / 2;
  const steps = d.stepLosses.length;
  const perEpoch = d.epochs.length ? steps / d.epochs.length : 1;
  const lossSeries: Series[] = [
    { label: 'train loss (step)', color: '#9bb7d4', points: d.stepLosses.map((l, i) => [(i + 1) / perEpoch, l]), width: 1, opacity: 0.9 },
    { label: 'train loss (epoch mean)', color: '#1f5fa8', points: d.epochs.map((e) => [e.epoch, e.trainLoss]), width: 2.5, dots: true },
  ];
  if (d.epochs.some((e) => Number.isFinite(e.testLoss))) {
    lossSeries.push({ label: 'test loss', color: '#d2691e', points: d.epochs.map((e) => [e.epoch, e.testLoss]), width: 2.5, dots: true });
  }
  const accSeries: Series[] = [
    { label: d.trainAccuracyLabel ?? 'train acc', color: '#1f5fa8', points: d.epochs.map((e) => [e.epoch, e.trainAccuracy * 100]), width: 2.5, dots: true },
    { label: 'test acc', color: '#d2691e', points: d.epochs.map((e) => [e.epoch, e.testAccuracy * 100]), width: 2.5, dots: true },
  ];
  const xMax = Math.max(1, d.epochs.length);
  const accVals = accSeries.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const accMin = accVals.length ? Math.max(0, Math.floor(Math.min(...accVals) / 10) * 10) : 0;
  const lossVals = lossSeries.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const lossMax = lossVals.length ? niceCeil(Math.max(...lossVals)) : 1;
  const body = [
    panel(0, panelW, 'loss', [0, xMax], [0, lossMax], lossSeries, 'top'),
    panel(panelW + PANEL_GAP, panelW, 'accuracy (%)', [0, xMax], [accMin, 100], accSeries, 'bottom'),
  ].join('\n');
  const title = esc(d.title ?? 'training');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${title}</text>`,
    body,
    '</svg>',
  ].join('\n');
}

/** The series `lmChartSvg()` draws: a language model's losses against a baseline. */
export interface LmChartData {
  title?: string;
  /** Loss of every training step, in order. */
  stepLosses: readonly number[];
  /**
   * Per epoch (1-based): the epoch's mean train loss and the validation loss after it, and how
   * many of stepLosses it trained (default: an equal share; epochs of a time budget differ).
   */
  epochs: readonly { epoch: number; trainLoss: number; valLoss: number; steps?: number }[];
  /** A horizontal reference line (the bigram model's validation loss). */
  baseline?: { label: string; value: number };
}

/** A self-contained SVG, one panel: train loss per step and per epoch, validation loss per epoch, the baseline. */
export function lmChartSvg(d: LmChartData): string {
  const share = d.epochs.length ? d.stepLosses.length / d.epochs.length : 1;
  const stepX: number[] = []; // step i at (epoch - 1) + its fraction of that epoch's steps
  d.epochs.forEach((e, k) => {
    const n = e.steps ?? share;
    for (let j = 0; j < n && stepX.length < d.stepLosses.length; j++) stepX.push(k + (j + 1) / n);
  });
  const xMax = Math.max(1, d.epochs.length);
  const series: Series[] = [
    { label: 'train loss (step)', color: '#9bb7d4', points: d.stepLosses.slice(0, stepX.length).map((l, i) => [stepX[i], l]), width: 1, opacity: 0.9 },
    { label: 'train loss (epoch mean)', color: '#1f5fa8', points: d.epochs.map((e) => [e.epoch, e.trainLoss]), width: 2.5, dots: true },
    { label: 'validation loss', color: '#d2691e', points: d.epochs.map((e) => [e.epoch, e.valLoss]), width: 2.5, dots: true },
  ];
  if (d.baseline) series.push({ label: d.baseline.label, color: '#666', points: [[0, d.baseline.value], [xMax, d.baseline.value]], width: 1.5 });
  const vals = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const yMax = vals.length ? niceCeil(Math.max(...vals)) : 1;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(d.title ?? 'training')}</text>`,
    panel(0, W, 'loss (nats / char)', [0, xMax], [0, yMax], series, 'top'),
    '</svg>',
  ].join('\n');
}

function panel(
  x0: number, w: number, yLabel: string, [xa, xb]: [number, number], [ya, yb]: [number, number], series: Series[], legendAt: 'top' | 'bottom',
): string {
  const left = x0 + PAD.left;
  const right = x0 + w - PAD.right;
  const top = PAD.top;
  const bottom = H - PAD.bottom;
  const sx = (x: number) => left + ((x - xa) / (xb - xa || 1)) * (right - left);
  const sy = (y: number) => bottom - ((y - ya) / (yb - ya || 1)) * (bottom - top);
  const out: string[] = [];
  for (const t of ticks(ya, yb, 5)) {
    out.push(`<line x1="${left}" x2="${right}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${f(sy(t) + 4)}" text-anchor="end" fill="#444">${fmtTick(t)}</text>`);
  }
  for (const t of ticks(xa, xb, Math.min(10, xb - xa))) {
    if (!Number.isInteger(t)) continue;
    out.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/>`);
    out.push(`<text x="${f(sx(t))}" y="${bottom + 17}" text-anchor="middle" fill="#444">${t}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${(left + right) / 2}" y="${H - 12}" text-anchor="middle">epoch</text>`);
  out.push(`<text transform="translate(${x0 + 14} ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (!pts.length) continue;
    const path = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${f(sx(x))},${f(sy(Math.min(Math.max(y, ya), yb)))}`).join('');
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}" stroke-opacity="${s.opacity ?? 1}" stroke-linejoin="round"/>`);
    if (s.dots) for (const [x, y] of pts) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(Math.min(Math.max(y, ya), yb)))}" r="3" fill="${s.color}"/>`);
  }
  // Legend in a white box, in the corner the curves leave free (loss falls, accuracy rises).
  const boxH = series.length * 16 + 8;
  const boxW = 40 + 6.6 * Math.max(...series.map((s) => s.label.length));
  const boxX = right - 6 - boxW;
  const boxY = legendAt === 'top' ? top + 6 : bottom - 6 - boxH;
  out.push(`<rect x="${f(boxX)}" y="${boxY}" width="${f(boxW)}" height="${boxH}" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>`);
  series.forEach((s, k) => {
    const ly = boxY + 16 + k * 16;
    out.push(`<line x1="${f(boxX + 8)}" x2="${f(boxX + 30)}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${f(boxX + 36)}" y="${ly}" fill="#222">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

function ticks(a: number, b: number, n: number): number[] {
  if (!(b > a) || n <= 0) return [a];
  const step = niceStep((b - a) / n);
  const out: number[] = [];
  for (let t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const s = niceStep(x / 5);
  return Math.ceil(x / s) * s;
}

const f = (v: number) => v.toFixed(1);
const fmtTick = (v: number) => String(Number(v.toPrecision(3)));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
