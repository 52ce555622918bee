// Offset views: a narrow / slice / split / chunk window that is one contiguous range starting at
// a multiple of the adapter's minStorageBufferOffsetAlignment shares its input's buffer (no
// allocation, writes through either handle seen by both, the parent's buffer alive while a view
// uses it); any other window copies. Values and gradients against the float64 reference for
// aligned and unaligned starts, kernels reading views, in-place optimizer steps through a view,
// capture replay, both kernel families (the GPU family via init({ kernels: 'gpu' })) and
// device-loss recovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceLostError, capture, cat, chunk, init, linear, matmul, memory, narrow, restore, runtime, slice, snapshot, split, tensor, tidy, type Tensor,
} from '../src/index.ts';
import { SGD } from '../src/optim/index.ts';
import { BufferView } from '../src/gpu/buffer-view.ts';
import { BindGroupCache } from '../src/gpu/bindgroups.ts';
import { checkOp, input, randomRef, testSeed } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const isView = (t: Tensor): boolean => t.buffer() instanceof BufferView;
/** Floats per binding-offset step (64 on lavapipe, where the alignment is 256 bytes). */
const alignFloats = (): number => runtime().storageOffsetAlignment / 4;
const iota = (n: number, from = 0): Float32Array => Float32Array.from({ length: n }, (_, i) => from + i);

function suite(family: string): void {
  describe(`offset views (${family} kernel family)`, () => {
    it('an aligned window of dim 0 is a view: no buffer, and writes through either handle are seen by both', async () => {
      const W = alignFloats();
      const x = tensor(iota(4 * W), { shape: [4, W] });
      const before = memory();
      const v = narrow(x, 0, 1, 2);
      const after = memory();
      expect(isView(v)).toBe(true);
      expect(after.liveBuffers).toBe(before.liveBuffers);
      expect(after.liveBytes).toBe(before.liveBytes);
      expect(after.buffersCreated + after.buffersReused).toBe(before.buffersCreated + before.buffersReused);
      expect(Array.from(await v.data())).toEqual(Array.from(iota(2 * W, W)));
      x.write(iota(4 * W, 1000));
      expect(Array.from(await v.data())).toEqual(Array.from(iota(2 * W, 1000 + W)));
      v.write(new Float32Array(2 * W).fill(-1));
      const xs = await x.data();
      expect(Array.from(xs.subarray(0, W))).toEqual(Array.from(iota(W, 1000)));
      expect(xs.subarray(W, 3 * W).every((e) => e === -1)).toBe(true);
      expect(Array.from(xs.subarray(3 * W))).toEqual(Array.from(iota(W, 1000 + 3 * W)));
      v.dispose();
      x.dispose();
    });

    it('which windows are views: aligned contiguous ranges (views of views add their offsets); unaligned, strided, empty and cat copy', async () => {
      const W = alignFloats();
      const x = tensor(iota(4 * W), { shape: [4, W] });
      const cases: [string, () => Tensor, boolean, number[]][] = [
        ['narrow dim 0 at an aligned row', () => narrow(x, 0, 2, 2), true, Array.from(iota(2 * W, 2 * W))],
        ['slice with a negative start', () => slice(x, 0, -1), true, Array.from(iota(W, 3 * W))],
        ['a whole dim 1 (start 0)', () => narrow(x, 1, 0, W), true, Array.from(iota(4 * W))],
        ['dim 1 of a [4, W] tensor (strided)', () => narrow(x, 1, 0, 2), false, [0, 1, W, W + 1, 2 * W, 2 * W + 1, 3 * W, 3 * W + 1]],
        ['an unaligned start', () => x.reshape([4 * W]).narrow(0, 3, 2), false, [3, 4]],
        ['size 0', () => narrow(x, 0, 1, 0), false, []],
        ['cat of one tensor (new memory, as torch.cat)', () => cat([x]), false, Array.from(iota(4 * W))],
        ['a view of a view', () => narrow(narrow(x, 0, 1, 3), 0, 2, 1), true, Array.from(iota(W, 3 * W))],
        ['dim 2 of [1, 1, 4W] whose leading dims are 1', () => x.reshape([1, 1, 4 * W]).narrow(2, W, 2 * W), true, Array.from(iota(2 * W, W))],
      ];
      for (const [what, make, view, values] of cases) {
        const before = memory().liveBuffers;
        const t = tidy(make);
        expect(isView(t), what).toBe(view);
        expect(memory().liveBuffers - before, what).toBe(view ? 0 : 1);
        expect(Array.from(await t.data()), what).toEqual(values);
        t.dispose();
      }
      const pieces = split(x, 1);
      expect(pieces.map(isView)).toEqual([true, true, true, true]);
      const halves = chunk(x, 2);
      expect(halves.map(isView)).toEqual([true, true]);
      expect(Array.from(await halves[1].data())).toEqual(Array.from(iota(2 * W, 2 * W)));
      // Pieces of W / 2 rows of 3 floats start 1.5 alignment steps apart: every other one is a view.
      const y = tensor(iota(3 * 2 * W), { shape: [2 * W, 3] });
      const rows = split(y, W / 2);
      expect(rows.map(isView)).toEqual([true, false, true, false]);
      expect(Array.from(await rows[1].data())).toEqual(Array.from(iota(1.5 * W, 1.5 * W)));
      expect(Array.from(await rows[2].data())).toEqual(Array.from(iota(1.5 * W, 3 * W)));
      for (const t of [...pieces, ...halves, ...rows, x, y]) t.dispose();
    });

    it('values and gradients against the float64 reference for aligned (view) and unaligned (copy) starts', async () => {
      const W = alignFloats();
      const cases: [number[], number, number, number, boolean][] = [
        [[4, W], 0, 1, 2, true], [[3, 2 * W], 0, 2, 1, true], [[1, 3, W], 1, 1, 2, true], [[2, W + 1], 0, 1, 1, false], [[5, 7], 0, 2, 3, false],
        [[1, 1, 4 * W], 2, 2 * W, W + 3, true], [[1, 4 * W], 1, W + 1, 5, false],
      ];
      for (const [shape, dim, start, length, view] of cases) {
        await checkOp('narrow', { dim, start, length }, [input(randomRef(shape, testSeed(shape.length + start)))], ([t]) => {
          const out = narrow(t, dim, start, length);
          expect(isView(out), `narrow [${shape}] dim ${dim} start ${start}`).toBe(view);
          return out;
        });
      }
    });

    it('kernels read views at their offset: matmul, softmax, reductions, elementwise, and their gradients', async () => {
      const W = alignFloats();
      const xv = iota(4 * W).map((v) => Math.sin(v));
      const wv = iota(W * 3).map((v) => Math.cos(v) / 8);
      const x = tensor(xv, { shape: [4, W], requiresGrad: true });
      const w = tensor(wv, { shape: [W, 3] });
      const v = narrow(x, 0, 2, 2);
      expect(isView(v)).toBe(true);
      const y = matmul(v, w); // [2, 3]
      const expected = [0, 1].flatMap((i) => [0, 1, 2].map((j) => {
        let s = 0;
        for (let k = 0; k < W; k++) s += xv[(2 + i) * W + k] * wv[k * 3 + j];
        return s;
      }));
      expectClose(await y.data(), expected, { rtol: 1e-4, atol: 1e-5 });
      const sm = v.softmax(-1);
      const row2 = Array.from(xv.subarray(2 * W, 3 * W));
      const m = Math.max(...row2);
      const z = row2.reduce((a, b) => a + Math.exp(b - m), 0);
      expectClose((await sm.data()).subarray(0, W), row2.map((e) => Math.exp(e - m) / z), { rtol: 1e-4, atol: 1e-6 });
      expectClose([await v.sum().item()], [Array.from(xv.subarray(2 * W)).reduce((a, b) => a + b, 0)], { rtol: 1e-4, atol: 1e-4 });
      // d/dx sum(v * v + y) : 2 v on rows 2-3 plus the matmul's row sums of w, zero elsewhere.
      v.mul(v).sum().add(y.sum()).backward();
      const g = await x.grad!.data();
      const wRow = Array.from({ length: W }, (_, k) => wv[3 * k] + wv[3 * k + 1] + wv[3 * k + 2]);
      const want = Array.from(xv, (e, i) => (i < 2 * W ? 0 : 2 * e + wRow[i % W]));
      expectClose(g, want, { rtol: 1e-4, atol: 1e-5 });
      for (const t of [x, w, v, y, sm, x.grad!]) t.dispose();
    });

    it('linear with a view weight and bias (fused bias epilogue) equals linear on copies, gradients included', async () => {
      const W = alignFloats();
      const x = tensor(iota(5 * 16).map((e) => Math.sin(e)), { shape: [5, 16] });
      const wBig = tensor(iota(48 * W).map((e) => Math.cos(e) / 4), { shape: [48, W], requiresGrad: true });
      const bBig = tensor(iota(3 * W).map((e) => Math.sin(e / 3)), { shape: [3 * W], requiresGrad: true });
      const w = narrow(wBig, 0, 16, 16);
      const b = narrow(bBig, 0, W, W);
      expect([isView(w), isView(b)]).toEqual([true, true]);
      const yView = linear(x, w, b, 'relu');
      const wCopy = tensor(await w.data(), { shape: [16, W], requiresGrad: true });
      const bCopy = tensor(await b.data(), { shape: [W], requiresGrad: true });
      const yCopy = linear(x, wCopy, bCopy, 'relu');
      expectClose(await yView.data(), await yCopy.data(), { rtol: 1e-6, atol: 1e-6 });
      yView.sum().backward();
      yCopy.sum().backward();
      const gw = await wBig.grad!.data();
      const gb = await bBig.grad!.data();
      expect(gw.subarray(0, 16 * W).every((e) => e === 0) && gw.subarray(32 * W).every((e) => e === 0)).toBe(true);
      expectClose(gw.subarray(16 * W, 32 * W), await wCopy.grad!.data(), { rtol: 1e-6, atol: 1e-6 });
      expectClose(gb.subarray(W, 2 * W), await bCopy.grad!.data(), { rtol: 1e-6, atol: 1e-6 });
      for (const t of [x, wBig, bBig, w, b, yView, wCopy, bCopy, yCopy, wBig.grad!, bBig.grad!, wCopy.grad!, bCopy.grad!]) t.dispose();
    });

    it('a view keeps its parent buffer alive after the parent is disposed, and the pool never hands it out', async () => {
      const W = alignFloats();
      const x = tensor(iota(4 * W), { shape: [4, W] });
      const v = narrow(x, 0, 3, 1);
      const live = memory().liveBuffers;
      x.dispose();
      expect(memory().liveBuffers).toBe(live); // still held by the view
      runtime().flush();
      // Same-sized allocations after the parent's release must not get its buffer.
      const others = Array.from({ length: 4 }, (_, i) => tensor(new Float32Array(4 * W).fill(-7 - i), { shape: [4, W] }));
      expect(Array.from(await v.data())).toEqual(Array.from(iota(W, 3 * W)));
      const doubled = v.mul(2);
      expect(Array.from(await doubled.data())).toEqual(Array.from(iota(W, 3 * W), (e) => 2 * e));
      v.dispose();
      expect(memory().liveBuffers).toBe(live - 1 + others.length + 1); // the parent's buffer went back; others and doubled are live
      for (const t of [...others, doubled]) t.dispose();
    });

    it('in-place optimizer steps through a view write the parent range (a view of a leaf as a parameter)', async () => {
      const W = alignFloats();
      const base = tensor(new Float32Array(4 * W), { shape: [4, W] });
      const p = narrow(base, 0, 2, 1);
      expect(isView(p)).toBe(true);
      p.requiresGrad = true;
      const opt = new SGD([p], { lr: 0.5 });
      p.mul(3).sum().backward();
      opt.step();
      const b = await base.data();
      expect(Array.from(b.subarray(2 * W, 3 * W)).every((e) => e === -1.5)).toBe(true);
      expect(b.subarray(0, 2 * W).every((e) => e === 0) && b.subarray(3 * W).every((e) => e === 0)).toBe(true);
      // And a view of a parameter sees the parameter's in-place update.
      const q = tensor(iota(2 * W), { shape: [2, W], requiresGrad: true });
      const second = narrow(q.detach(), 0, 1, 1);
      expect(isView(second)).toBe(true);
      q.sum().backward();
      new SGD([q], { lr: 1 }).step();
      expect(Array.from(await second.data())).toEqual(Array.from(iota(W, W - 1)));
      for (const t of [base, p, p.grad!, q, q.grad!, second]) t.dispose();
    });

    it('an in-place update of one slice reading a sibling slice, and a copy between slices of one buffer (WebGPU refuses both on one buffer; they go through a copy)', async () => {
      const W = alignFloats();
      const base = tensor(iota(4 * W), { shape: [4, W] });
      const p = narrow(base, 0, 0, 1);
      p.requiresGrad = true;
      p.grad = narrow(base, 0, 2, 1); // the parameter's gradient lives in the same buffer
      new SGD([p], { lr: 0.5 }).step();
      const b = await base.data();
      expect(Array.from(b.subarray(0, W))).toEqual(Array.from(iota(W), (e) => e - 0.5 * (e + 2 * W)));
      expect(Array.from(b.subarray(W))).toEqual(Array.from(iota(3 * W, W)));
      const rt = runtime();
      const [r1, r3] = [narrow(base, 0, 1, 1), narrow(base, 0, 3, 1)];
      rt.copy(r1.buffer(), 4, r3.buffer(), 0, 8); // elements 1, 2 of row 1 -> elements 0, 1 of row 3
      expect(Array.from(await r3.data()).slice(0, 3)).toEqual([W + 1, W + 2, 3 * W + 2]);
      for (const t of [base, p, p.grad, r1, r3]) t.dispose();
    });

    it('capture replays steps that slice views of temporaries and inputs, with eager values', async () => {
      const W = alignFloats();
      const x = tensor(new Float32Array(4 * W), { shape: [4, W] });
      const w = tensor(iota(W * 2).map((e) => ((e % 5) - 2) / 4), { shape: [W, 2] });
      const body = () => {
        const h = x.mul(2); // a temporary: its buffer is pinned by the capture, held after tidy
        const [top, bottom] = chunk(h, 2);
        return matmul(bottom, w).sub(matmul(narrow(x, 0, 0, 1), w).sum()).add(top.sum());
      };
      const inputs = [0, 1, 2].map((k) => iota(4 * W).map((e) => Math.sin(e + k)));
      const eager: ArrayLike<number>[] = [];
      for (const data of inputs) {
        x.write(data);
        const out = tidy(body);
        eager.push((await out.data()).slice());
        out.dispose();
      }
      const step = capture(body);
      try {
        for (const [k, data] of inputs.entries()) {
          x.write(data);
          const before = memory().buffersCreated;
          const out = step.run();
          expectClose(await out.data(), eager[k], { rtol: 1e-5, atol: 1e-5 });
          if (k > 0) expect(memory().buffersCreated).toBe(before);
        }
        expect(step.replays).toBe(2);
      } finally {
        step.dispose();
        x.dispose();
        w.dispose();
      }
    });
  });
}

describe('bind groups of views', () => {
  it('are cached by parent buffer, offset and size, not by view object', () => {
    const rt = runtime();
    const A = rt.storageOffsetAlignment;
    const parent = rt.device.createBuffer({ label: 'views-test', size: 4 * A, usage: GPUBufferUsage.STORAGE });
    const layout = rt.device.createBindGroupLayout({ entries: [] });
    const uniform = { buffer: parent, offset: 0, size: 16 };
    const cache = new BindGroupCache();
    let created = 0;
    const get = (b: GPUBuffer) => cache.get(layout, 'test', uniform, [b], () => (created++, {} as GPUBindGroup));
    const first = get(new BufferView(parent, A, A));
    expect(get(new BufferView(parent, A, A))).toBe(first); // a new view of the same range
    expect(created).toBe(1);
    get(new BufferView(parent, 2 * A, A));
    get(new BufferView(parent, A, 2 * A));
    get(parent);
    expect(created).toBe(4);
    parent.destroy();
  });
});

suite('default');

describe('GPU family', () => {
  beforeAll(async () => {
    await init({ kernels: 'gpu' });
  });
  afterAll(async () => {
    await init({ kernels: 'auto' });
  });
  it('runs the workgroup-memory kernels', () => {
    expect(runtime().kind.cpu).toBe(false);
  });
  suite('gpu');
});

describe('device loss', () => {
  it('snapshot reads a view at its offset; after restore() the view has its own buffer', async () => {
    const W = alignFloats();
    const x = tensor(iota(2 * W), { shape: [2, W] });
    const v = narrow(x, 0, 1, 1);
    expect(isView(v)).toBe(true);
    const saved = await snapshot([x, v]);
    runtime().device.destroy();
    await expect(v.data()).rejects.toBeInstanceOf(DeviceLostError);
    await init();
    restore([x, v], saved);
    expect(isView(v)).toBe(false);
    expect(Array.from(await v.data())).toEqual(Array.from(iota(W, W)));
    x.write(new Float32Array(2 * W));
    expect(Array.from(await v.data())).toEqual(Array.from(iota(W, W)));
    x.dispose();
    v.dispose();
  });
});
