// The GPU kernel family on this machine's CPU adapter: WEBGRAD_KERNELS=gpu makes init() pick
// the workgroup-memory variants (tree reductions, one workgroup per softmax row, tiled matmul
// and transpose)
// that real GPUs run, so they stay tested here where the default is the barrier-free CPU
// family. The reduction, softmax and shape suites below run again, unchanged, under that setting.
import { describe, expect, it } from 'vitest';
import { runtime } from '../src/index.ts';
import { defaultVariant } from '../src/kernels/matmul-variants.ts';
import './ops-reduce.test.ts';
import './ops-softmax.test.ts';
import './ops-shape.test.ts';
import './numerics.test.ts';
import './ops-norm.test.ts';

// Read by init() in test/setup.ts's beforeAll, which runs after this module is evaluated.
process.env.WEBGRAD_KERNELS = 'gpu';

describe('kernel family', () => {
  it('WEBGRAD_KERNELS=gpu selects the GPU family and the tiled matmul', () => {
    const rt = runtime();
    expect(rt.kind.cpu).toBe(false);
    expect(rt.kind.swiftshader).toBe(false);
    expect(defaultVariant(rt, { N: 10 })).toBe('tiled');
  });
});
