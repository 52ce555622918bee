// Node 20 has no iterator helpers (Iterator.prototype.map / filter, Node 22+ and every current
// browser have them), and jax-js's einsum (used by nn.dotProductAttention) calls
// `str.matchAll(re).map(...)`. The Node runner installs these two, lazily as the standard ones,
// before loading the engines; nothing is changed where they exist.
type Iter = Iterator<unknown> & Iterable<unknown>;

export function installIteratorHelpers(): boolean {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto.map === 'function' && typeof proto.filter === 'function') return false;
  const iterable = (it: Iter) => ({ [Symbol.iterator]: () => it });
  Object.defineProperty(proto, 'map', {
    configurable: true, writable: true,
    value: function* map(this: Iter, f: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (const v of iterable(this)) yield f(v, i++);
    },
  });
  Object.defineProperty(proto, 'filter', {
    configurable: true, writable: true,
    value: function* filter(this: Iter, f: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (const v of iterable(this)) if (f(v, i++)) yield v;
    },
  });
  return true;
}
