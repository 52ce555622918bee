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
