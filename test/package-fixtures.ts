// The consumer projects of test/package-consumer.test.ts, file by file. Each is what a user
// would write against the installed package: plain JavaScript or TypeScript importing
// 'webgrad' (or, for the plain page, the browser build's URL), nothing from src/.

// The training problem every consumer runs: 2-16-1 MLP on XOR, full batch, SGD. Written once
// and shared (the Node script imports it from 'webgrad', the pages from their own entry).
const TRAIN = (from: string) => `import { init, memory, mseLoss, nn, optim, tensor, tidy, matmul, zeros } from '${from}';

// Trains a 2-16-1 MLP on XOR; returns the loss every 25 steps, the call site the leak report
// gives for a tensor created here, and the name of a shape error.
export async function train() {
  await init({ debug: true, quiet: true });
  const model = new nn.Sequential(new nn.Linear(2, 16, { seed: 1, activation: 'relu' }), new nn.Linear(16, 1, { seed: 2 }));
  const opt = new optim.SGD(model, { lr: 0.2 });
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor([[0], [1], [1], [0]]);
  const losses = [];
  for (let step = 0; step < 150; step++) {
    const loss = tidy(() => {
      model.zeroGrad();
      const l = mseLoss(model.forward(x), y);
      l.backward();
      opt.step();
      return l;
    });
    if (step % 25 === 0 || step === 149) losses.push((await loss.data())[0]);
    loss.dispose();
  }
  const leaked = zeros([3]); // still alive when memory() is asked: the report must point here
  const group = memory({ verbose: true }).groups.find((g) => g.count > 0 && g.bytes === 12);
  leaked.dispose();
  let name = '';
  try {
    matmul(zeros([2, 3]), zeros([2, 3]));
  } catch (e) {
    name = e.name;
  }
  x.dispose();
  y.dispose();
  model.dispose();
  return { losses, site: group ? group.site : '', name };
}
`;

// A page with one module script, and that script: it runs train() and hands the result to
// scripts/browser-harness.ts's pageResults() through window.__results (or __error).
const PAGE = (title: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><script type="module" src="./main.js"></script></body></html>
`;
const MAIN = (trainModule: string) => `import { train } from '${trainModule}';
train().then((r) => { window.__results = r; }, (e) => { window.__error = String(e && e.stack || e); });
`;

export const FIXTURES = {
  // Node, plain ESM JavaScript.
  'train.mjs': `${TRAIN('webgrad')}
const r = await train();
process.stderr.write('stderr still works after init\\n'); // fd 2 is back where it was
console.log('RESULT ' + JSON.stringify({ ...r, own: /node_modules[\\\\/]webgrad[\\\\/]/.test(r.site) }));
`,
  'adapter.mjs': `import { init } from 'webgrad';
const a = await init();
console.log('ADAPTER OK ' + a.driver);
`,

  // Strict TypeScript consumer: the public API with its types (not any).
  'consumer.ts': `import { init, tensor, OPS, nn, optim, mseLoss, tidy, ShapeError, WebgradError, type Tensor, type AdapterSummary } from 'webgrad';

const summary: AdapterSummary = await init({ quiet: true });
const x: Tensor = tensor([[1, 2], [3, 4]]);
const device: GPUDevice = x.runtime.device;
const model = new nn.Sequential(new nn.Linear(2, 4, { seed: 1, activation: 'relu' }), new nn.Linear(4, 1, { seed: 2 }));
const opt = new optim.SGD(model, { lr: 0.1 });
const loss: Tensor = tidy(() => mseLoss(model.forward(x), tensor([[1], [0]])));
const values: Float32Array | Int32Array = await loss.data();
opt.step();
const opName: string = OPS.matmul.name;
// @ts-expect-error OPS is typed for consumers: an op's name is a string, not a number
const wrong: number = OPS.matmul.name;
const e: WebgradError = new ShapeError('op', [[1]], 'detail');
using scoped = tensor([1]);
console.log(summary.driver, device.label, values, opName, wrong, e.name, scoped.shape);
`,

  // A fresh Vite app: index.html + an entry importing 'webgrad' from node_modules.
  'vite/index.html': PAGE('webgrad vite consumer'),
  'vite/main.js': MAIN('../train-page.js'),
  // For the Vite app the shared module imports 'webgrad'; the plain page has its own copy below.
  'train-page.js': TRAIN('webgrad'),

  // A plain page: no bundler, no import map; the browser build is a URL like a CDN's.
  'plain/index.html': PAGE('webgrad plain page'),
  'plain/main.js': MAIN('./train-page.js'),
  'plain/train-page.js': TRAIN('../node_modules/webgrad/dist/webgrad.browser.js'),

  // Error names in a minified bundle of the installed package (run by Node; no GPU needed).
  'names.mjs': `import * as wg from './webgrad.min.js';
const checked = [], wrong = [];
let renamed = 0;
for (const [key, value] of Object.entries(wg)) {
  if (typeof value !== 'function' || !(value === wg.WebgradError || value.prototype instanceof wg.WebgradError)) continue;
  let e;
  try {
    e = new value('x', [], 'y');
  } catch (err) {
    wrong.push(key + ': constructing it threw ' + err);
    continue;
  }
  checked.push(key);
  if (e.name !== key || !String(e).startsWith(key + ':')) wrong.push(key + ' -> ' + e.name);
  if (value.name !== key) renamed++;
}
console.log(JSON.stringify({ checked, wrong, renamed }));
`,
} as const;
