// Minimal live line charts on a 2-D canvas (no plotting dependency).
export interface LineSeries {
  label: string;
  color: string;
  points: [number, number][];
  dots?: boolean;
}

export function drawChart(canvas: HTMLCanvasElement, title: string, series: LineSeries[], yRange?: [number, number], xMax = 1, xLabel = 'epoch'): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  const L = 46, R = 12, T = 26, B = 28;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText(title, L, 16);
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const x1 = Math.max(xMax, ...xs, 1e-9);
  const [y0, y1] = yRange ?? [0, Math.max(1e-9, ...ys) * 1.05];
  const sx = (x: number) => L + (x / x1) * (W - L - R);
  const sy = (y: number) => H - B - ((Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0 || 1)) * (H - T - B);
  ctx.strokeStyle = '#e5e5e5';
  ctx.fillStyle = '#555';
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(L, sy(y));
    ctx.lineTo(W - R, sy(y));
    ctx.stroke();
    ctx.fillText(y1 - y0 >= 10 ? y.toFixed(0) : y.toFixed(2), 4, sy(y) + 4);
  }
  ctx.fillText(xLabel, W - R - ctx.measureText(xLabel).width, H - 8);
  for (let e = 0; e <= Math.floor(x1); e += Math.max(1, Math.ceil(x1 / 10))) ctx.fillText(String(e), sx(e) - 3, H - B + 14);
  ctx.strokeStyle = '#444';
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
    ctx.stroke();
    if (s.dots) for (const [x, y] of s.points) ctx.fillRect(sx(x) - 2.5, sy(y) - 2.5, 5, 5);
    ctx.fillRect(W - R - 120, T + 8 + k * 15, 14, 3);
    ctx.fillStyle = '#222';
    ctx.fillText(s.label, W - R - 100, T + 13 + k * 15);
  });
  ctx.lineWidth = 1;
}
