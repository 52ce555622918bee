// Reuse of bind groups across dispatches. Creating one was half of an op's recording time in
// Node (and an object the browser serialises to its GPU process): an eager loop repeats its
// dispatches with the same uniform slots (the uniform arena restarts at every flush) and,
// through the pool, mostly the same buffers, so the bind group of an earlier dispatch with the
// same layout, label, uniform slot and buffers (for an offset view: its parent buffer, offset
// and size) is used again. A destroyed buffer is never passed to a dispatch again, so its
// entries are never hit; they are dropped when the cache starts over at its cap.

import { BufferView } from './buffer-view.ts';

/** Cached bind groups kept before the cache starts over. */
const MAX_ENTRIES = 4096;

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  /** The cached bind group for these bindings, else `create()`'s (kept for next time). */
  get(layout: GPUBindGroupLayout, label: string, uniform: GPUBufferBinding, buffers: readonly GPUBuffer[], create: () => GPUBindGroup): GPUBindGroup {
    let key = `${this.id(layout)}|${label}|${this.id(uniform.buffer)}:${uniform.offset}`;
    for (const b of buffers) {
      // An offset view binds its parent's range: the key names the range, not the view object, so
      // the next step's slice of the same pooled buffer reuses the bind group.
      key += b instanceof BufferView ? `,${this.id(b.parent)}@${b.offset}+${b.size}` : `,${this.id(b)}`;
    }
    let group = this.groups.get(key);
    if (!group) {
      group = create();
      if (this.groups.size >= MAX_ENTRIES) this.groups.clear();
      this.groups.set(key, group);
    }
    return group;
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }
}
