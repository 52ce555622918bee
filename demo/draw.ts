// Turning a drawing into an MNIST-like 28x28 input: crop the ink's bounding box, scale it to
// fit 20x20 (keeping the aspect ratio) and place it so its centre of mass is at the centre of
// the 28x28 field, as MNIST's own preprocessing did.
export function toMnistPixels(src: HTMLCanvasElement): Float32Array | null {
  const ctx = src.getContext('2d', { willReadFrequently: true })!;
  const { width, height } = src;
  const img = ctx.getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (img[(y * width + x) * 4] > 20) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  const tmp = document.createElement('canvas');
  tmp.width = 28;
  tmp.height = 28;
  const t = tmp.getContext('2d', { willReadFrequently: true })!;
  t.imageSmoothingEnabled = true;
  t.imageSmoothingQuality = 'high';
  t.drawImage(src, x0, y0, bw, bh, (28 - tw) / 2, (28 - th) / 2, tw, th);
  const px = t.getImageData(0, 0, 28, 28).data;
  const gray = new Float32Array(784);
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < 784; i++) {
    const v = px[i * 4] / 255;
    gray[i] = v;
    mass += v;
    cx += v * (i % 28);
    cy += v * Math.floor(i / 28);
  }
  if (mass === 0) return null;
  const dx = Math.round(13.5 - cx / mass);
  const dy = Math.round(13.5 - cy / mass);
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = gray[sy * 28 + sx];
    }
  }
  return out;
}

/** Freehand drawing with mouse / touch / pen on a black canvas. */
export function attachPad(pad: HTMLCanvasElement, onStroke: () => void): { clear(): void; showPixels(px: ArrayLike<number>): void } {
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let drawing = false;
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = pos(e);
    pad.setPointerCapture(e.pointerId);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = pos(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (drawing) onStroke();
    drawing = false;
    last = null;
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointerleave', end);
  return {
    clear,
    /** Paint a 28x28 [0, 1] image onto the pad (scaled up). */
    showPixels(px: ArrayLike<number>) {
      const s = pad.width / 28;
      clear();
      for (let i = 0; i < 784; i++) {
        const v = Math.round(px[i] * 255);
        if (!v) continue;
        ctx.fillStyle = `rgb(${v},${v},${v})`;
        ctx.fillRect((i % 28) * s, Math.floor(i / 28) * s, s, s);
      }
    },
  };
}
