// Float64 reference of the shape ops (src/ops/shape.ts). reshape covers every view op
// (view, flatten, squeeze, unsqueeze): they record the reshape op with the resolved shape.
import { permuteRef, reshapeRef } from '../array.ts';
import type { RefFamily } from './types.ts';

export const SHAPE_REF: RefFamily<'reshape' | 'permute'> = {
  reshape: {
    forward: ([x], { shape }) => reshapeRef(x, shape),
    backward: ([x], _attrs, g) => [reshapeRef(g, x.shape)],
  },
  permute: {
    forward: ([x], { perm }) => permuteRef(x, perm),
    backward: (_x, { perm }, g) => {
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [permuteRef(g, inverse)];
    },
  },
};
