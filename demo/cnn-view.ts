// Pictures of a CNN's first layer for the demo page: the learned filters (conv weight
// [30, 1, 5, 5]) and the feature maps of one digit (ReLU(conv(x)), [1, 30, 24, 24]), each drawn
// as a grid of small images. The pixel computation is pure (no DOM) so the demo self-test
// (test/train-demo.test.ts) can recompute, from values it reads back itself, exactly what the
// canvases must show.

/** Where the tiles of a grid go: tile k at column k % cols, row floor(k / cols). */
export interface TileLayout {
  count: number;
  /** One tile's size in values (e.g. 5 x 5 for a filter). */
  h: number;
  w: number;
  cols: number;
  /** Screen pixels per value (nearest neighbour, so every value is a solid block). */
  scale: number;
  gap: number;
  width: number;
  height: number;
}

export function tileLayout(count: number, h: number, w: number, cols: number, scale: number, gap: number): TileLayout {
  const rows = Math.ceil(count / cols);
  return { count, h, w, cols, scale, gap, width: cols * w * scale + (cols - 1) * gap, height: rows * h * scale + (rows - 1) * gap };
}

/** Top-left canvas pixel of tile k. */
export function tileOrigin(l: TileLayout, k: number): [number, number] {
  return [(k % l.cols) * (l.w * l.scale + l.gap), Math.floor(k / l.cols) * (l.h * l.scale + l.gap)];
}

type RGB = [number, number, number];

/** Signed values in [-1, 1]: negative blue, zero white, positive red (filters). */
export function divergingColor(t: number): RGB {
  const a = Math.min(1, Math.abs(t));
  const fade = Math.round(255 * (1 - a));
  return t < 0 ? [fade, fade, 255] : [255, fade, fade];
}

// Stops of a dark-to-bright heat map (black, purple, red, orange, pale yellow).
const HEAT: RGB[] = [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]];

/** Non-negative values in [0, 1], dark to bright (feature maps after ReLU). */
export function heatColor(t: number): RGB {
  const x = Math.min(1, Math.max(0, t)) * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(HEAT[i][c] + f * (HEAT[i + 1][c] - HEAT[i][c]))) as RGB;
}

/**
 * How a tile's values become colours: 'signed' scales each tile by its largest |value| and uses
 * divergingColor; 'positive' scales each tile by its largest value and uses heatColor. Each tile
 * is scaled on its own, so a filter or map with small values still shows its shape.
 */
export type TileMode = 'signed' | 'positive';

export const BACKGROUND: RGB = [255, 255, 255];

/** The RGBA pixels (layout.width x layout.height) of `values` ([count, h, w], row-major). */
export function renderTiles(values: ArrayLike<number>, l: TileLayout, mode: TileMode): Uint8ClampedArray<ArrayBuffer> {
  const n = l.h * l.w;
  if (values.length !== l.count * n) throw new Error(`renderTiles: ${values.length} values for ${l.count} tiles of ${l.h}x${l.w}`);
  const px = new Uint8ClampedArray(l.width * l.height * 4);
  for (let i = 0; i < px.length; i += 4) px.set([...BACKGROUND, 255], i);
  for (let k = 0; k < l.count; k++) {
    let s = 0;
    for (let j = 0; j < n; j++) s = Math.max(s, mode === 'signed' ? Math.abs(values[k * n + j]) : values[k * n + j]);
    const [x0, y0] = tileOrigin(l, k);
    for (let j = 0; j < n; j++) {
      const t = s > 0 ? values[k * n + j] / s : 0;
      const rgb = mode === 'signed' ? divergingColor(t) : heatColor(t);
      const bx = x0 + (j % l.w) * l.scale;
      const by = y0 + Math.floor(j / l.w) * l.scale;
      for (let dy = 0; dy < l.scale; dy++) {
        for (let dx = 0; dx < l.scale; dx++) px.set([...rgb, 255], ((by + dy) * l.width + bx + dx) * 4);
      }
    }
  }
  return px;
}

/** The grids the page draws (SimpleConvNet: 30 filters 5x5, 6 per row; 30 maps 24x24, 10 per row). */
export const filterLayout = (count: number, kh: number, kw: number): TileLayout => tileLayout(count, kh, kw, 6, 8, 4);
export const mapLayout = (count: number, h: number, w: number): TileLayout => tileLayout(count, h, w, 10, 2, 4);

/** Draw `values` into `canvas` (sized to the layout) with putImageData: no smoothing, exact pixels. */
export function drawTiles(canvas: HTMLCanvasElement, values: ArrayLike<number>, l: TileLayout, mode: TileMode): void {
  canvas.width = l.width;
  canvas.height = l.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.putImageData(new ImageData(renderTiles(values, l, mode), l.width, l.height), 0, 0);
}
