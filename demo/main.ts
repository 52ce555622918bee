// The demo page: pick a model (MLPs or the CNN), train it in the page (WebGPU), watch live
// loss/accuracy curves, draw a digit and see the prediction; for the CNN also its learned
// first-layer filters (redrawn as it trains) and the feature maps of the drawn digit.
// `?selftest&epochs=1[&limit=1000][&model=cnn&batch=30&testLimit=100&logEvery=3]` trains without clicks (on
// the first `limit` training digits, evaluating on the first `testLimit` test digits), predicts
// a test digit and reports window.__results (used by test/train-demo.test.ts); with a CNN,
// window.__readFilters() reads the filters back for the test. The GPT panel (demo/gpt.ts) has
// its own self-test, `?selftest=gpt`.
import { init, noGrad, softmax, tensor, tidy } from '../src/index.ts';
import { Linear, ReLU, Sequential, type Module } from '../src/nn/index.ts';
import { Adam, SGD } from '../src/optim/index.ts';
import { subset } from '../src/data/index.ts';
import { fit, type EpochLog } from '../src/train/index.ts';
import { modelSpec } from '../src/train/models.ts';
import { drawChart, type LineSeries } from './charts.ts';
import { featureMaps, firstLayer, readFilters, type FirstLayer } from './cnn.ts';
import { drawTiles, filterLayout, mapLayout } from './cnn-view.ts';
import { loadDemoMnist } from './data.ts';
import { attachPad, toMnistPixels } from './draw.ts';
import { setupGptPanel } from './gpt.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const w = window as unknown as Record<string, unknown>;
const status = (s: string) => ($('status').textContent = s);

function buildModel(hidden: number[], seed: number): Sequential {
  const layers: Module[] = [];
  let n = 784;
  hidden.forEach((h, i) => {
    layers.push(new Linear(n, h, { seed: seed + i, std: 0.01 }), new ReLU());
    n = h;
  });
  layers.push(new Linear(n, 10, { seed: seed + hidden.length, std: 0.01 }));
  return new Sequential(...layers);
}

/** The model select's values: 'mlp:<hidden sizes>' or a model name of src/train/models.ts. */
function buildChoice(choice: string, seed: number): Sequential {
  if (choice.startsWith('mlp:')) return buildModel(choice.slice(4).split(',').map(Number), seed);
  return modelSpec(choice).build({ hidden: 0, seed }, 28, 28, 10);
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  setupGptPanel(q); // its own worker and device: independent of the digits below
  const adapter = await init();
  const data = await loadDemoMnist();
  const first = (n: number) => Array.from({ length: n }, (_, i) => i);
  const limit = Number(q.get('limit'));
  if (limit > 0 && limit < data.train.count) data.train = subset(data.train, first(limit));
  const testLimit = Number(q.get('testLimit'));
  if (testLimit > 0 && testLimit < data.test.count) data.test = subset(data.test, first(testLimit));
  status(`${data.train.count} train / ${data.test.count} test digits loaded. WebGPU: ${adapter.description || adapter.vendor || 'adapter'}`);

  let model: Sequential | null = null;
  let cnn: FirstLayer | null = null;
  let lastPixels: Float32Array | null = null;
  // For the self-test: how often each view was drawn, and filter 0's weights at every draw.
  const views = { filterDraws: 0, mapDraws: 0, filter0: [] as number[][] };
  w.__views = views;
  let controller: AbortController | null = null;
  const lossPts: [number, number][] = [];
  const epochs: EpochLog[] = [];
  let plannedEpochs = 1;

  const redraw = () => {
    drawChart($('lossChart'), 'training loss', [{ label: 'loss', color: '#1f5fa8', points: lossPts }], undefined, plannedEpochs);
    const acc: LineSeries[] = [
      { label: 'train acc %', color: '#1f5fa8', points: epochs.map((e) => [e.epoch, 100 * e.trainAccuracy]), dots: true },
      { label: 'test acc %', color: '#d2691e', points: epochs.map((e) => [e.epoch, 100 * e.testAccuracy]), dots: true },
    ];
    drawChart($('accChart'), 'accuracy (%)', acc, [Math.min(80, ...acc.flatMap((s) => s.points.map((p) => p[1]))), 100], plannedEpochs);
  };
  redraw();

  const showCnnPanel = (on: boolean) => ($('cnnView').style.display = on ? '' : 'none');
  const showModelChoice = () => showCnnPanel(!$<HTMLSelectElement>('model').value.startsWith('mlp:'));
  $('model').onchange = showModelChoice;
  showModelChoice();
  const drawFilters = async () => {
    if (!cnn) return;
    const f = await readFilters(cnn);
    const l = filterLayout(f.shape[0], f.shape[2], f.shape[3]);
    drawTiles($('filters'), f.values, l, 'signed');
    views.filterDraws++;
    views.filter0.push(Array.from(f.values.subarray(0, l.h * l.w)));
  };
  const drawMaps = async (m: Sequential, l: FirstLayer, px: Float32Array) => {
    const fm = await featureMaps(m, l, px);
    drawTiles($('maps'), fm.values, mapLayout(fm.shape[1], fm.shape[2], fm.shape[3]), 'positive');
    views.mapDraws++;
  };

  const predict = async (pixels: Float32Array): Promise<{ digit: number; probs: Float32Array }> => {
    if (!model) throw new Error('train a model first');
    const m = model;
    lastPixels = pixels;
    if (cnn) await drawMaps(m, cnn, pixels);
    const wasTraining = m.training;
    m.eval();
    const p = noGrad(() => tidy(() => softmax(m.forward(tensor(pixels, { shape: [1, 784] })), 1)));
    m.train(wasTraining);
    const probs = (await p.data()) as Float32Array;
    p.dispose();
    let digit = 0;
    for (let i = 1; i < 10; i++) if (probs[i] > probs[digit]) digit = i;
    $('guess').textContent = String(digit);
    $('bars').innerHTML = Array.from(probs, (v, i) =>
      `<div class="bar${i === digit ? ' top' : ''}">${i} <span class="fill" style="width:${Math.round(v * 160)}px"></span> ${(100 * v).toFixed(1)}%</div>`,
    ).join('');
    return { digit, probs };
  };

  const small = $<HTMLCanvasElement>('small').getContext('2d')!;
  const showSmall = (px: Float32Array) => {
    const img = small.createImageData(28, 28);
    for (let i = 0; i < 784; i++) img.data.set([px[i] * 255, px[i] * 255, px[i] * 255, 255], i * 4);
    small.putImageData(img, 0, 0);
  };
  const pad = attachPad($('pad'), () => {
    const px = toMnistPixels($('pad'));
    if (!px) return;
    showSmall(px);
    if (model) void predict(px).catch((e) => status(String(e)));
    else status('train a model first (press Train)');
  });
  $('clear').onclick = () => {
    pad.clear();
    $('guess').textContent = '?';
    $('bars').innerHTML = '';
  };
  const testDigit = (k: number): { px: Float32Array; label: number } => {
    const px = Float32Array.from(data.test.images.subarray(k * 784, (k + 1) * 784), (v) => v / 255);
    return { px, label: data.test.labels[k] };
  };
  $('sample').onclick = () => {
    const { px } = testDigit(Math.floor(Math.random() * data.test.count));
    pad.showPixels(px);
    showSmall(px);
    if (model) void predict(px);
  };

  const train = async (): Promise<EpochLog[]> => {
    const choice = $<HTMLSelectElement>('model').value;
    const optName = $<HTMLSelectElement>('optimizer').value;
    plannedEpochs = Math.max(1, Number($<HTMLInputElement>('epochs').value) || 1);
    const batch = Math.max(1, Number($<HTMLInputElement>('batch').value) || 100);
    model?.dispose();
    model = buildChoice(choice, 1);
    cnn = firstLayer(model);
    showCnnPanel(cnn !== null);
    await drawFilters();
    const opt = optName === 'adam' ? new Adam(model, { lr: 1e-3 }) : new SGD(model, { lr: 0.1 });
    lossPts.length = 0;
    epochs.length = 0;
    controller = new AbortController();
    $<HTMLButtonElement>('train').disabled = true;
    $<HTMLButtonElement>('stop').disabled = false;
    try {
      await fit(model, opt, {
        train: data.train, test: data.test, epochs: plannedEpochs, batchSize: batch, seed: 1, signal: controller.signal,
        logEvery: Number(q.get('logEvery')) || (cnn ? 5 : 10),
        onProgress: async (p) => {
          lossPts.push([p.epoch + p.step / p.steps, p.lastLoss]);
          status(`epoch ${p.epoch + 1}/${plannedEpochs}  step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  ${p.stepsPerSec.toFixed(1)} steps/s`);
          redraw();
          // The filters as they learn, and the drawn digit's maps and prediction with them.
          await drawFilters();
          if (cnn && lastPixels) await predict(lastPixels);
        },
        onEpoch: (e) => {
          epochs.push(e);
          status(`epoch ${e.epoch}: train acc ${(100 * e.trainAccuracy).toFixed(2)}%  test acc ${(100 * e.testAccuracy).toFixed(2)}%  (${e.stepsPerSec.toFixed(1)} steps/s)`);
          redraw();
        },
      });
      await drawFilters();
    } finally {
      opt.dispose();
      $<HTMLButtonElement>('train').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
    }
    return epochs;
  };
  $('train').onclick = () => void train().catch((e) => status(`error: ${e}`));
  $('stop').onclick = () => controller?.abort();

  if (q.has('selftest') && q.get('selftest') !== 'gpt') {
    $<HTMLInputElement>('epochs').value = q.get('epochs') ?? '1';
    if (q.has('model')) $<HTMLSelectElement>('model').value = q.get('model')!;
    if (q.has('batch')) $<HTMLInputElement>('batch').value = q.get('batch')!;
    const logs = await train();
    const { px, label } = testDigit(0);
    pad.showPixels(px);
    const fromPad = toMnistPixels($('pad'));
    const direct = await predict(px);
    const drawn = fromPad ? await predict(fromPad) : null;
    const l = cnn as FirstLayer | null; // (assigned in train(): TypeScript narrowed it to null)
    if (l) {
      w.__readFilters = async () => {
        const f = await readFilters(l);
        return { values: Array.from(f.values), shape: f.shape, bias: Array.from((await l.conv.bias!.data()) as Float32Array) };
      };
    }
    w.__lastPixels = () => (lastPixels ? Array.from(lastPixels) : null);
    w.__results = {
      epochs: logs, trainCount: data.train.count, testCount: data.test.count, label, predicted: direct.digit,
      predictedFromPad: drawn?.digit ?? null, lossPoints: lossPts.length, model: $<HTMLSelectElement>('model').value, ...views,
    };
  }
}

main().catch((e) => {
  console.error(e);
  status(`error: ${e instanceof Error ? e.message : e}`);
  w.__error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
});
