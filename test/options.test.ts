// Issue 11, "arguments are validated, never ignored": the shared options mechanism
// (src/options.ts) and a walk over the public API proving every options object is checked.
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, ValueError } from '../src/index.ts';
import { option, parseArg, parseOptions } from '../src/options.ts';

const SPEC = {
  axis: option.axes({ aliases: ['dim'] }),
  keepDims: option.boolean({ default: false, aliases: ['keepdim'] }),
  requiresGrad: option.boolean({ default: false }),
  lr: option.number({ min: 0, default: 1e-3 }),
  dtype: option.dtype(),
};

describe('parseOptions', () => {
  it('fills defaults and normalises aliases and values', () => {
    expect(parseOptions('op', undefined, SPEC)).toEqual({ axis: undefined, keepDims: false, requiresGrad: false, lr: 1e-3, dtype: undefined });
    const o = parseOptions('op', { dim: [0, 1], keepdim: true, dtype: 'float32' }, SPEC);
    expect(o).toEqual({ axis: [0, 1], keepDims: true, requiresGrad: false, lr: 1e-3, dtype: 'f32' });
    expect(parseOptions('op', { dtype: 'int32', lr: undefined }, SPEC).dtype).toBe('i32');
    // The result is typed from the spec: defaulted options are never undefined.
    const keep: boolean = o.keepDims;
    const lr: number = o.lr;
    // @ts-expect-error axis has no default, so it may be undefined
    const axis: number | number[] = o.axis;
    expect([keep, lr, axis]).toEqual([true, 1e-3, [0, 1]]);
  });

  it('refuses an unknown key, naming the op and the valid keys, with a camelCase suggestion', () => {
    expect(() => parseOptions('tensor', { requires_grad: true }, SPEC)).toThrow(ValueError);
    expect(() => parseOptions('tensor', { requires_grad: true }, SPEC)).toThrow(
      /^tensor: unknown option 'requires_grad' \(did you mean 'requiresGrad'\?\); valid options: axis \(or dim\), keepDims \(or keepdim\), requiresGrad, lr, dtype$/,
    );
    expect(() => parseOptions('sum', { keepdims: true }, SPEC)).toThrow(/did you mean 'keepDims'\?/);
    expect(() => parseOptions('sum', { axes: 1 }, SPEC)).toThrow(/unknown option 'axes' \(did you mean 'axis'\?\)/);
    expect(() => parseOptions('f', { zzz: 1 }, {})).toThrow(/unknown option 'zzz'; it takes no options/);
  });

  it('refuses a wrong type with an ArgumentTypeError naming what was expected', () => {
    expect(() => parseOptions('sum', { axis: '1' }, SPEC)).toThrow(ArgumentTypeError);
    expect(() => parseOptions('sum', { axis: '1' }, SPEC)).toThrow(/option 'axis' must be an integer axis or an array of integer axes, got string '1'/);
    expect(() => parseOptions('sum', { keepdim: 1 }, SPEC)).toThrow(/option 'keepdim' must be a boolean, got number 1/);
    expect(() => parseOptions('SGD', { lr: -1 }, SPEC)).toThrow(/'lr' must be a finite number >= 0, got number -1/);
    expect(() => parseOptions('SGD', { lr: NaN }, SPEC)).toThrow(ArgumentTypeError);
    expect(() => parseOptions('tensor', { dtype: 'float64' }, SPEC)).toThrow(/'dtype' must be a dtype/);
  });

  it('refuses the same option under two names', () => {
    expect(() => parseOptions('sum', { axis: 0, dim: 1 }, SPEC)).toThrow(/given twice, as 'axis' and as 'dim'/);
  });

  it('refuses anything but a plain object', () => {
    for (const bad of [1, 'mean', [0], null, true, new Map()]) {
      expect(() => parseOptions('sum', bad, SPEC)).toThrow(ArgumentTypeError);
    }
    expect(() => parseOptions('sum', 1, SPEC)).toThrow(/sum: expected an options object \{ axis \(or dim\), keepDims/);
  });

  it('parseArg checks a positional argument', () => {
    const red = option.oneOf(['mean', 'sum', 'none'], { default: 'mean' });
    expect(parseArg('mseLoss', 'reduction', undefined, red)).toBe('mean');
    expect(parseArg('mseLoss', 'reduction', 'sum', red)).toBe('sum');
    expect(() => parseArg('mseLoss', 'reduction', 'avg', red)).toThrow(/argument 'reduction' must be one of 'mean', 'sum', 'none', got string 'avg'/);
  });
});

// ------------------------------------------------------------------ the public API, walked

const api = await import('../src/index.ts');
const { nn, optim } = api;
type Bad = Record<string, unknown>;
const x23 = () => api.tensor([[1, 2, 3], [4, 5, 6]]);
const img = () => api.zeros([1, 1, 4, 4]);
const tinyData = () => api.makeDataset(new Uint8Array(2 * 784), new Uint8Array([0, 1]), 28, 28);

/**
 * Every public function, constructor and method that takes an options object, called with
 * `bad` as its options. Each must refuse an unknown key with a ValueError naming the valid keys.
 */
const TAKES_OPTIONS: Record<string, (bad: Bad) => unknown> = {
  init: (o) => api.init(o as never),
  tensor: (o) => api.tensor([1], o),
  zeros: (o) => api.zeros([1], o),
  ones: (o) => api.ones([1], o),
  full: (o) => api.full([1], 2, o),
  empty: (o) => api.empty([1], o),
  randn: (o) => api.randn([1], o),
  rand: (o) => api.rand([1], o),
  randint: (o) => api.randint([1], 0, 2, o),
  sum: (o) => api.sum(x23(), o),
  mean: (o) => api.mean(x23(), o),
  max: (o) => api.max(x23(), o),
  argmax: (o) => api.argmax(x23(), o),
  matmul: (o) => api.matmul(x23(), api.ones([3, 1]), o),
  mseLoss: (o) => api.mseLoss(x23(), x23(), o),
  softmaxCrossEntropy: (o) => api.softmaxCrossEntropy(x23(), api.tensor([0, 1], { dtype: 'i32' }), o),
  crossEntropy: (o) => api.crossEntropy(x23(), api.tensor([0, 1], { dtype: 'i32' }), o),
  clipGradNorm: (o) => api.clipGradNorm([api.tensor([1], { requiresGrad: true })], 1, o),
  backward: (o) => api.backward(api.tensor([1], { requiresGrad: true }).sum(), undefined, o),
  memory: (o) => api.memory(o),
  capture: (o) => api.capture(() => 0, o),
  gradcheck: (o) => api.gradcheck((a) => a.sum(), [api.tensor([1])], o),
  DataLoader: (o) => new api.DataLoader(tinyData(), { batchSize: 1, ...o }),
  trainEpoch: (o) => api.trainEpoch(new nn.Linear(784, 2), new api.SGD([api.tensor([1], { requiresGrad: true })]), new api.DataLoader(tinyData(), { batchSize: 1 }), o),
  evaluate: (o) => api.evaluate(new nn.Linear(784, 2), tinyData(), o),
  fit: (o) => api.fit(new nn.Linear(784, 2), new api.SGD([api.tensor([1], { requiresGrad: true })]), { train: tinyData(), epochs: 0, batchSize: 1, ...o }),
  loadFortunes: (o) => api.loadFortunes(o),
  TextWindows: (o) => new api.TextWindows(Int32Array.from([0, 1, 2]), 1, o),
  trainSteps: (o) => api.trainSteps(new nn.Linear(2, 2), new api.SGD([api.tensor([1], { requiresGrad: true })]), new api.TextWindows(Int32Array.from([0, 1, 2]), 1), { steps: 1, batchSize: 1, ...o }),
  evaluateLm: (o) => api.evaluateLm(new nn.Linear(2, 2), new api.TextWindows(Int32Array.from([0, 1, 2]), 1), o),
  'BigramModel.fit': (o) => api.BigramModel.fit([0, 1], 2, o),
  SGD: (o) => new api.SGD([api.tensor([1], { requiresGrad: true })], o),
  Adam: (o) => new api.Adam([api.tensor([1], { requiresGrad: true })], o),
  AdamW: (o) => new api.AdamW([api.tensor([1], { requiresGrad: true })], o),
  'SGD paramGroups': (o) => new api.SGD([{ params: [api.tensor([1], { requiresGrad: true })], ...o }]),
  'AdamW paramGroups': (o) => new api.AdamW([{ params: [api.tensor([1], { requiresGrad: true })], ...o }]),
  Linear: (o) => new api.Linear(2, 2, o),
  toSafetensors: (o) => api.toSafetensors(new nn.Linear(2, 2), o),
  loadSafetensors: (o) => api.loadSafetensors(new nn.Linear(2, 2), new Uint8Array(16), o),
  dropout: (o) => api.dropout(x23(), 0.5, o),
  conv2d: (o) => api.conv2d(img(), api.ones([1, 1, 3, 3]), null, o),
  maxPool2d: (o) => api.maxPool2d(img(), { kernelSize: 2, ...o }),
  avgPool2d: (o) => api.avgPool2d(img(), { kernelSize: 2, ...o }),
  pad: (o) => api.pad(img(), [1, 1], o),
  batchNorm: (o) => api.batchNorm(img(), null, null, null, null, o),
  layerNorm: (o) => api.layerNorm(x23(), 3, null, null, o),
  rmsNorm: (o) => api.rmsNorm(x23(), 3, null, o),
  gelu: (o) => api.gelu(x23(), o),
  embedding: (o) => api.embedding(api.tensor([0], { dtype: 'i32' }), api.ones([2, 2]), o),
  arange: (o) => api.arange(3, o as never),
  scaledDotProductAttention: (o) => api.scaledDotProductAttention(api.ones([1, 2, 4]), api.ones([1, 2, 4]), api.ones([1, 2, 4]), o),
  // methods and nn layers
  'Tensor#sum': (o) => x23().sum(o),
  'Tensor#mean': (o) => x23().mean(o),
  'Tensor#max': (o) => x23().max(o),
  'Tensor#argmax': (o) => x23().argmax(o),
  'Tensor#matmul': (o) => x23().matmul(api.ones([3, 1]), o),
  'Tensor#mseLoss': (o) => x23().mseLoss(x23(), o),
  'Tensor#backward': (o) => api.tensor([1], { requiresGrad: true }).sum().backward(undefined, o),
  'Module#loadStateDict': (o) => new nn.Linear(2, 2).loadStateDict({}, o),
  'nn.Conv2d': (o) => new nn.Conv2d(1, 1, 3, o),
  'nn.MaxPool2d': (o) => new nn.MaxPool2d(2, o),
  'nn.AvgPool2d': (o) => new nn.AvgPool2d(2, o),
  'nn.BatchNorm1d': (o) => new nn.BatchNorm1d(2, o),
  'nn.BatchNorm2d': (o) => new nn.BatchNorm2d(2, o),
  'nn.Dropout': (o) => new nn.Dropout(0.5, o),
  'nn.Flatten': (o) => new nn.Flatten(o),
  'nn.Embedding': (o) => new nn.Embedding(2, 2, o),
  'nn.LayerNorm': (o) => new nn.LayerNorm(2, o),
  'nn.RMSNorm': (o) => new nn.RMSNorm(2, o),
  'nn.GELU': (o) => new nn.GELU(o),
  'nn.MultiheadAttention': (o) => new nn.MultiheadAttention(4, 2, o),
  'MultiheadAttention#forward': (o) => new nn.MultiheadAttention(4, 2).forward(api.ones([3, 1, 4]), undefined, undefined, o),
  'MultiheadAttention#forwardWithWeights': (o) => new nn.MultiheadAttention(4, 2).forwardWithWeights(api.ones([3, 1, 4]), undefined, undefined, o),
  GPT: (o) => new api.GPT({ vocabSize: 4, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4, ...o }),
  'GPT#generate': (o) => new api.GPT({ vocabSize: 4, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4 }).generate([[0]], 1, o),
};

/** Exports that take no options object (data, positional arguments only, classes, constants). */
const NO_OPTIONS = new Set([
  // errors and constants
  'WebgradError', 'ShapeError', 'DTypeError', 'ValueError', 'ArgumentTypeError', 'NotInitializedError', 'DisposedTensorError',
  'WebGPUUnavailableError', 'ShaderCompileError', 'DeviceLostError', 'GPUExecutionError', 'AutogradError', 'LimitError',
  'OutOfMemoryError', 'NumericsError', 'DEFAULT_SEED', 'MNIST_SPLIT', 'OPS', 'PASS_TOLERANCE', 'TRAIN_DEFAULTS', 'nn', 'optim',
  // positional arguments only
  'flush', 'sync', 'noGrad', 'isGradEnabled', 'adapterInfo', 'autotuneIdle', 'autotuneResults', 'Tensor', 'Rng', 'manualSeed',
  'initialSeed', 'tidy', 'keep', 'releasePool', 'liveTensors', 'add', 'sub', 'mul', 'div', 'maximum', 'pow', 'neg', 'exp', 'log',
  'sqrt', 'square', 'tanh', 'relu', 'sigmoid', 'abs', 'silu', 'linear', 'reshape', 'transpose', 'permute', 'view', 'unsqueeze',
  'squeeze', 'flatten', 'softmax', 'logSoftmax', 'adaptiveAvgPool2d', 'narrow', 'slice', 'cat', 'concat', 'stack', 'split',
  'chunk', 'where', 'maskedFill', 'tril', 'triu', 'indexSelect', 'gather', 'defineOp', 'apply', 'runtime', 'fmtShape',
  'sizeOf', 'broadcastShapes', 'snapshot', 'restore', 'deviceLost', 'verdictOf', 'onReplay', 'Module', 'ReLU', 'Sigmoid',
  'Tanh', 'Sequential', 'Optimizer', 'makeDataset', 'datasetFromIdx', 'subset', 'splitDataset', 'splitMnist', 'loadIdxDir',
  'loadMnist', 'loadMnistPackage', 'parseIdx', 'readIdx', 'encodeIdx', 'isGzip', 'gunzip', 'formatProgress',
  'trainingChartSvg', 'twoLayerNet', 'makeOptimizer', 'weightDecayGroups',
  'SiLU', // nn.SiLU: no arguments
  'FORTUNES_DIR', 'FORTUNE_FILES', 'FORTUNE_SEPARATOR', 'parseFortunes', 'splitFortunes', 'CharVocab', 'windowTensors', 'lmLoss',
  'BigramModel', 'lmChartSvg',
]);

describe('every public options object refuses an unknown key, naming the valid keys', () => {
  it('the list above covers every export (a new export must be classified here)', () => {
    const unlisted = Object.keys(api).filter((k) => !(k in TAKES_OPTIONS) && !NO_OPTIONS.has(k));
    expect(unlisted, 'exports neither in TAKES_OPTIONS nor in NO_OPTIONS').toEqual([]);
    const nnLayers = Object.keys(nn).filter((k) => /^[A-Z]/.test(k) && !(`nn.${k}` in TAKES_OPTIONS) && !NO_OPTIONS.has(k) && !(k in TAKES_OPTIONS) && !['Unflatten', 'AdaptiveAvgPool2d', 'Module', 'ReLU', 'Sigmoid', 'Tanh', 'Sequential', 'Linear'].includes(k));
    expect(nnLayers, 'nn layers neither listed nor classified').toEqual([]);
    expect(Object.keys(optim).filter((k) => !(k in TAKES_OPTIONS) && !NO_OPTIONS.has(k))).toEqual([]);
  });

  for (const [name, call] of Object.entries(TAKES_OPTIONS)) {
    it(name, async () => {
      let err: unknown;
      try {
        await call({ zzzUnknown: 1 });
      } catch (e) {
        err = e;
      }
      expect(err, `${name} accepted an unknown option`).toBeInstanceOf(ValueError);
      expect((err as Error).message).toMatch(/unknown option 'zzzUnknown'; (valid options: \w|it takes no options)/);
    });
  }
});
