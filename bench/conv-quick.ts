// Quick conv2d measurement per algorithm on the adapter init() picks (WEBGRAD_ADAPTER /
// WEBGRAD_KERNELS as usual):  npx tsx bench/conv-quick.ts [--runs 5]
// The two layers of the conv suite (--small: the first only) (SimpleConvNet 100x1x28x28 * 30x5x5; 3x3 64ch 64x64x32x32
// padding 1): forward, fwd+dx and fwd+dw with each algorithm (im2col + matmul + col2im; direct). Per case: a warm-up run (compiles pipelines, lets the
// matmul autotuner settle), then the median of --runs timed runs, each recorded, submitted and
// waited for. Also prints the share of the CPU other processes used meanwhile (a number taken
// while the machine was busy is not a clean measurement: compare within one run).
import { readFileSync } from 'node:fs';
import { autotuneIdle, conv2d, init, keep, runtime, sync, tensor, tidy, type Tensor } from '../src/index.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 5);

const LAYERS = [
  { name: 'SimpleConvNet 100x1x28x28 * 30x5x5', x: [100, 1, 28, 28], w: [30, 1, 5, 5], pad: 0 },
  { name: '3x3 64ch 64x64x32x32 pad 1', x: [64, 64, 32, 32], w: [64, 64, 3, 3], pad: 1 },
];

const rand = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
};

/** CPU ticks of all processes and of this one (for the 'others' share). */
function cpuTicks(): { all: number; idle: number; self: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const self = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return { all: cpu.reduce((a, b) => a + b, 0), idle: cpu[3] + cpu[4], self: Number(self[11]) + Number(self[12]) };
}

async function time(label: string, fn: () => Tensor): Promise<number> {
  const run = async () => {
    const t0 = performance.now();
    const out = tidy(fn);
    await sync();
    out.dispose();
    return performance.now() - t0;
  };
  await run();
  await autotuneIdle();
  await run();
  const a = cpuTicks();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await run());
  const b = cpuTicks();
  ms.sort((p, q) => p - q);
  const busy = b.all - b.idle - (a.all - a.idle);
  const others = b.all > a.all ? Math.max(0, busy - (b.self - a.self)) / (b.all - a.all) : 0;
  const med = ms[Math.floor(ms.length / 2)];
  console.log(`${label.padEnd(62)} median ${med.toFixed(1).padStart(8)} ms  best ${ms[0].toFixed(1).padStart(8)} ms  others ${(others * 100).toFixed(0)}%`);
  return med;
}

await init();
console.log(`adapter: ${runtime().kind.cpu ? 'CPU driver' : 'GPU'}; ${runs} runs per case`);
for (const L of args.includes('--small') ? LAYERS.slice(0, 1) : LAYERS) {
  const X = keep(tensor(rand(L.x.reduce((a, b) => a * b), 1), { shape: L.x }));
  const W = keep(tensor(rand(L.w.reduce((a, b) => a * b), 2), { shape: L.w }));
  const opts = { padding: L.pad };
  for (const algo of ['im2col', 'direct']) {
    process.env.WEBGRAD_CONV = algo;
    await time(`${L.name} fwd ${algo}`, () => conv2d(X, W, null, opts));
    for (const which of ['dx', 'dw'] as const) {
      const leaf = which === 'dx' ? X : W;
      leaf.requiresGrad = true;
      await time(`${L.name} fwd+${which} ${algo}`, () => {
        leaf.zeroGrad();
        conv2d(X, W, null, opts).sum().backward();
        const g = leaf.grad!;
        leaf.grad = null;
        return g;
      });
      leaf.requiresGrad = false;
    }
  }
  delete process.env.WEBGRAD_CONV;
  X.dispose();
  W.dispose();
}
