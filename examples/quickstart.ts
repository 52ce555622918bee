// webgrad quickstart: fit y = 3 x1 - 2 x2 + 0.5 (+ noise) by gradient descent on the GPU.
// Every forward and backward kernel runs in WGSL; the update is a manual SGD step under noGrad().
//
//   npm run quickstart                (after npm install; see README.md)
//   npx tsx --conditions=webgrad-source examples/quickstart.ts
import { init, memory, mseLoss, noGrad, randn, tensor, tidy, zeros, type Tensor } from 'webgrad';

const N = 512;
const STEPS = 150;
const LR = 0.1;
const TRUE_W = [3, -2];
const TRUE_B = 0.5;

const adapter = await init({ quiet: true });
console.log(`webgrad quickstart`);
console.log(`adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' / ')} (driver: ${adapter.driver})`);

// Data: X ~ N(0, 1) [N, 2]; Y = X W* + b* + 0.05 noise [N, 1]. Seeded: every run is identical.
const X = randn([N, 2], { seed: 1 });
const Y = noGrad(() => tidy(() => X.matmul(tensor([[TRUE_W[0]], [TRUE_W[1]]])).add(TRUE_B).add(randn([N, 1], { seed: 2, std: 0.05 }))));

// Parameters (leaves that require grad).
let W: Tensor = zeros([2, 1], { requiresGrad: true, label: 'W' });
let b: Tensor = zeros([1], { requiresGrad: true, label: 'b' });

const t0 = performance.now();
let last = NaN;
for (let step = 1; step <= STEPS; step++) {
  // Forward + backward + update in one scope: intermediates and the old graph are freed.
  const next = tidy(() => {
    const loss = mseLoss(X.matmul(W).add(b), Y);
    loss.backward(); // fills W.grad and b.grad
    return noGrad(() => ({ loss, W: W.sub(W.grad!.mul(LR)), b: b.sub(b.grad!.mul(LR)) }));
  });
  for (const t of [W.grad, b.grad, W, b]) t?.dispose();
  W = next.W;
  b = next.b;
  W.requiresGrad = true;
  b.requiresGrad = true;
  if (step === 1 || step % 25 === 0) {
    last = await next.loss.item(); // a readback: the only time the host waits for the GPU
    console.log(`step ${String(step).padStart(3)}  loss ${last.toFixed(6)}`);
  }
  next.loss.dispose();
}
const ms = performance.now() - t0;

const w = Array.from(await W.data());
const bias = (await b.data())[0];
console.log(`learned W = [${w.map((v) => v.toFixed(4)).join(', ')}]  (true [${TRUE_W.join(', ')}])`);
console.log(`learned b = ${bias.toFixed(4)}  (true ${TRUE_B})`);
console.log(`${STEPS} steps in ${ms.toFixed(0)} ms (${(ms / STEPS).toFixed(2)} ms/step, forward + backward + update)`);

for (const t of [W, b, X, Y]) t.dispose();
const m = memory();
console.log(`memory: ${m.liveTensors} live tensors, ${m.buffersCreated} buffers created, ${m.buffersReused} reused`);

const ok = Math.abs(w[0] - TRUE_W[0]) < 0.05 && Math.abs(w[1] - TRUE_W[1]) < 0.05 && Math.abs(bias - TRUE_B) < 0.05 && last < 0.01;
if (!ok) {
  console.error('quickstart: the fit did not converge');
  process.exitCode = 1;
}
