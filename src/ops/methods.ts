// PyTorch-style methods on Tensor (x.matmul(W).add(b).relu()), delegating to the op functions.
// Installed here rather than in tensor.ts so the storage class does not import every op.
import { backward, type BackwardOptions } from '../autograd/backward.ts';
import { Tensor } from '../tensor.ts';
import { conv2d, type Conv2dOptions } from './conv.ts';
import { gelu, silu, type GeluOptions } from './activations.ts';
import * as ew from './elementwise.ts';
import { gather, indexSelect } from './indexing.ts';
import { layerNorm, rmsNorm, type LayerNormOptions, type RmsNormOptions } from './layernorm.ts';
import { scaledDotProductAttention, type AttentionOptions } from './attention.ts';
import { chunk, narrow, slice, split } from './slice.ts';
import { maskedFill, tril, triu } from './where.ts';
import { linear, type Activation } from './linear.ts';
import { mseLoss, softmaxCrossEntropy, type CrossEntropyOptions, type LossOptions, type Reduction } from './loss.ts';
import { pad, type PadOptions } from './pad.ts';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions } from './pool.ts';
import { matmul, type MatmulOptions } from './matmul.ts';
import { pow } from './pow.ts';
import { argmax, max, mean, sum, type ArgmaxArgs, type ReduceArgs } from './reduce.ts';
import { alias, flatten, permute, reshape, squeeze, transpose, unsqueeze, view, type ShapeArgs } from './shape.ts';
import { logSoftmax, softmax } from './softmax.ts';

declare module '../tensor.ts' {
  interface Tensor {
    add(other: ew.Operand): Tensor;
    sub(other: ew.Operand): Tensor;
    mul(other: ew.Operand): Tensor;
    div(other: ew.Operand): Tensor;
    maximum(other: ew.Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    square(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    abs(): Tensor;
    /** this ** exponent elementwise (torch.pow). */
    pow(exponent: Tensor | number): Tensor;
    sum(...args: ReduceArgs): Tensor;
    mean(...args: ReduceArgs): Tensor;
    max(...args: ReduceArgs): Tensor;
    argmax(...args: ArgmaxArgs): Tensor;
    matmul(other: Tensor, opts?: MatmulOptions): Tensor;
    conv2d(w: Tensor, b?: Tensor | null, opts?: Conv2dOptions): Tensor;
    maxPool2d(opts: MaxPool2dOptions): Tensor;
    avgPool2d(opts: AvgPool2dOptions): Tensor;
    adaptiveAvgPool2d(outputSize: number | [number, number]): Tensor;
    pad(pad: readonly number[], opts?: PadOptions): Tensor;
    linear(w: Tensor, b: Tensor, activation?: Activation): Tensor;
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    permute(...perm: number[]): Tensor;
    /** PyTorch's view: the same storage under another shape (one dim may be -1). */
    view(...shape: ShapeArgs): Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    readonly T: Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    softmaxCrossEntropy(labels: Tensor, options?: Reduction | CrossEntropyOptions): Tensor;
    layerNorm(normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, opts?: LayerNormOptions): Tensor;
    rmsNorm(normalizedShape: number | readonly number[], weight?: Tensor | null, opts?: RmsNormOptions): Tensor;
    /** Fused attention with this tensor as q [B, H, T, D]. */
    scaledDotProductAttention(k: Tensor, v: Tensor, opts?: AttentionOptions): Tensor;
    gelu(opts?: GeluOptions): Tensor;
    silu(): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number | null, end?: number | null): Tensor;
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    maskedFill(mask: Tensor, value: number): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    mseLoss(target: Tensor, reduction?: Reduction | LossOptions): Tensor;
    /** Compute gradients of this tensor w.r.t. every leaf that requires grad. */
    backward(grad?: Tensor, opts?: BackwardOptions): void;
    /** A tensor sharing this one's data, cut from the graph (requiresGrad false). */
    detach(): Tensor;
    /** Keep this non-leaf tensor's gradient in .grad during backward(). */
    retainGrad(): Tensor;
    /** Dispose and clear .grad. */
    zeroGrad(): void;
  }
}

const P = Tensor.prototype;
P.add = function (o) { return ew.add(this, o); };
P.sub = function (o) { return ew.sub(this, o); };
P.mul = function (o) { return ew.mul(this, o); };
P.div = function (o) { return ew.div(this, o); };
P.maximum = function (o) { return ew.maximum(this, o); };
P.neg = function () { return ew.neg(this); };
P.exp = function () { return ew.exp(this); };
P.log = function () { return ew.log(this); };
P.sqrt = function () { return ew.sqrt(this); };
P.square = function () { return ew.square(this); };
P.tanh = function () { return ew.tanh(this); };
P.relu = function () { return ew.relu(this); };
P.sigmoid = function () { return ew.sigmoid(this); };
P.abs = function () { return ew.abs(this); };
P.pow = function (e) { return pow(this, e); };
P.sum = function (...args) { return sum(this, ...args); };
P.mean = function (...args) { return mean(this, ...args); };
P.max = function (...args) { return max(this, ...args); };
P.argmax = function (...args) { return argmax(this, ...args); };
P.matmul = function (o, opts) { return matmul(this, o, opts); };
P.conv2d = function (w, b, opts) { return conv2d(this, w, b, opts); };
P.maxPool2d = function (opts) { return maxPool2d(this, opts); };
P.avgPool2d = function (opts) { return avgPool2d(this, opts); };
P.adaptiveAvgPool2d = function (size) { return adaptiveAvgPool2d(this, size); };
P.pad = function (p, opts) { return pad(this, p, opts); };
P.linear = function (w, b, act) { return linear(this, w, b, act); };
P.reshape = function (...shape) {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as number[];
  return reshape(this, s);
};
P.transpose = function (a, b) { return transpose(this, a, b); };
P.permute = function (...perm) { return permute(this, perm); };
P.view = function (...shape) { return view(this, ...shape); };
P.unsqueeze = function (dim) { return unsqueeze(this, dim); };
P.squeeze = function (dim) { return squeeze(this, dim); };
P.flatten = function (startDim, endDim) { return flatten(this, startDim, endDim); };
Object.defineProperty(P, 'T', {
  get(this: Tensor) { return transpose(this); },
});
P.softmax = function (axis) { return softmax(this, axis); };
P.logSoftmax = function (axis) { return logSoftmax(this, axis); };
P.softmaxCrossEntropy = function (labels, reduction) { return softmaxCrossEntropy(this, labels, reduction); };
P.mseLoss = function (target, reduction) { return mseLoss(this, target, reduction); };
P.layerNorm = function (ns, w, b, opts) { return layerNorm(this, ns, w, b, opts); };
P.rmsNorm = function (ns, w, opts) { return rmsNorm(this, ns, w, opts); };
P.scaledDotProductAttention = function (k, v, opts) { return scaledDotProductAttention(this, k, v, opts); };
P.gelu = function (opts) { return gelu(this, opts); };
P.silu = function (...rest: unknown[]) { return silu(this, ...rest); };
P.indexSelect = function (dim, index) { return indexSelect(this, dim, index); };
P.gather = function (dim, index) { return gather(this, dim, index); };
P.narrow = function (dim, start, length) { return narrow(this, dim, start, length); };
P.slice = function (dim, start, end) { return slice(this, dim, start, end); };
P.split = function (s, dim) { return split(this, s, dim); };
P.chunk = function (n, dim) { return chunk(this, n, dim); };
P.maskedFill = function (mask, value) { return maskedFill(this, mask, value); };
P.tril = function (d) { return tril(this, d); };
P.triu = function (d) { return triu(this, d); };
P.backward = function (grad, opts) { backward(this, grad, opts); };
P.detach = function () { return alias(this, this.shape, 'detach'); };
P.retainGrad = function () { this.retainsGrad = true; return this; };
P.zeroGrad = function () { this.grad?.dispose(); this.grad = null; };
