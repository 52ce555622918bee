// Tensor lifetimes: tidy() scopes, keep(), memory() statistics and a FinalizationRegistry
// safety net for tensors that were dropped without dispose().
import { hasRuntime, runtime } from './context.ts';
import { option, parseOptions } from './options.ts';
import type { Tensor } from './tensor.ts';
import type { GraphNode } from './autograd/graph.ts';

interface Scope {
  tensors: Set<Tensor>;
  nodes: Set<GraphNode>;
}

const scopes: Scope[] = [];
const live = new Set<Tensor>();
let internalLive = 0;

/** Called by every Tensor constructor. Internal handles (saved for backward) are not scoped. */
export function trackTensor(t: Tensor, internal: boolean): void {
  if (internal) {
    internalLive++;
    return;
  }
  live.add(t);
  scopes[scopes.length - 1]?.tensors.add(t);
}

export function untrackTensor(t: Tensor, internal: boolean): void {
  if (internal) {
    internalLive--;
    return;
  }
  live.delete(t);
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i].tensors.delete(t)) break;
}

export function trackNode(n: GraphNode): void {
  scopes[scopes.length - 1]?.nodes.add(n);
}

/** Exempt tensors from the enclosing tidy() scopes: they survive until disposed by hand. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.tensors.delete(t);
  return t;
}

/**
 * Run `fn` and dispose every tensor created inside it except those it returns (in an object,
 * array or alone) and those passed to keep(). Graphs recorded inside that are not reachable
 * from a returned tensor have their saved activations freed too. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tensors: new Set(), nodes: new Set() };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error('tidy(): the function returned a Promise; tidy scopes must be synchronous (await outside tidy)');
    }
  } catch (e) {
    scopes.pop();
    release(scope, new Set());
    throw e;
  }
  scopes.pop();
  const kept = new Set<Tensor>();
  collectTensors(result, kept, 0);
  release(scope, kept);
  const parent = scopes[scopes.length - 1];
  if (parent) {
    for (const t of kept) if (!t.disposed && live.has(t)) parent.tensors.add(t);
    for (const n of scope.nodes) if (!n.freed) parent.nodes.add(n);
  }
  return result;
}

function release(scope: Scope, kept: Set<Tensor>): void {
  // Graph nodes reachable from a kept tensor stay (the caller may still call backward()).
  const reachable = new Set<GraphNode>();
  const stack: GraphNode[] = [];
  for (const t of kept) if (t.gradFn) stack.push(t.gradFn);
  while (stack.length) {
    const n = stack.pop()!;
    if (reachable.has(n)) continue;
    reachable.add(n);
    for (const p of n.parents) if (p?.gradFn) stack.push(p.gradFn);
  }
  for (const n of scope.nodes) if (!reachable.has(n)) n.free();
  for (const t of scope.tensors) {
    if (kept.has(t)) continue;
    // A gradient is kept out of scopes (it outlives the backward that made it), so a tensor that
    // dies with its scope takes its gradient along unless that was returned too.
    if (t.grad && !kept.has(t.grad)) {
      t.grad.dispose();
      t.grad = null;
    }
    t.dispose();
  }
}

function collectTensors(v: unknown, out: Set<Tensor>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 4) return;
  if ((v as { __isTensor?: boolean }).__isTensor) {
    out.add(v as Tensor);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

/** Counts and bytes of live tensors, tensors saved for backward and GPU buffers. */
export interface MemoryInfo {
  /** Tensors created and not yet disposed (user-visible handles). */
  liveTensors: number;
  /** Internal handles kept alive for backward passes that have not run yet. */
  savedForBackward: number;
  /**
   * GPU buffers held by live tensors, and their bytes (bucket-rounded). A view (reshape, or an
   * offset view from narrow / slice / split / chunk) adds none: it holds its parent's buffer,
   * which stays counted here until the parent and all its views are disposed.
   */
  liveBuffers: number;
  liveBytes: number;
  /** Released buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Buffers created since init, and how often the pool served a request instead. */
  buffersCreated: number;
  buffersReused: number;
}

/** Live tensors that share a label and a creation call site (see `memory({ verbose: true })`). */
export interface LeakGroup {
  /** The op or constructor that created the tensors (their label). */
  label: string;
  /** The user call site (debug mode: init({ debug: true })), else ''. */
  site: string;
  count: number;
  bytes: number;
}

/**
 * Memory statistics. With { verbose: true }, `groups` lists live tensors grouped by the op and
 * call site that created them, largest first, to find a leak.
 */
export function memory(opts: { verbose: true }): MemoryInfo & { groups: LeakGroup[] };
export function memory(opts?: { verbose?: boolean }): MemoryInfo;
export function memory(opts: { verbose?: boolean } = {}): MemoryInfo & { groups?: LeakGroup[] } {
  parseOptions('memory', opts, { verbose: option.boolean() });
  const info = memoryInfo();
  if (!opts.verbose) return info;
  const groups = new Map<string, LeakGroup>();
  for (const t of live) {
    const key = `${t.label}\u0000${t.createdAt}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { label: t.label || 'tensor', site: t.createdAt, count: 0, bytes: 0 }));
    g.count++;
    g.bytes += t.size * 4;
  }
  return { ...info, groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes || b.count - a.count) };
}

function memoryInfo(): MemoryInfo {
  const p = hasRuntime()
    ? runtime().pool.stats()
    : { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: 0, reused: 0 };
  return {
    liveTensors: live.size,
    savedForBackward: internalLive,
    liveBuffers: p.liveBuffers,
    liveBytes: p.liveBytes,
    pooledBuffers: p.pooledBuffers,
    pooledBytes: p.pooledBytes,
    buffersCreated: p.created,
    buffersReused: p.reused,
  };
}

/** Destroy all pooled (currently unused) GPU buffers. */
export function releasePool(): void {
  if (hasRuntime()) runtime().pool.releaseAll();
}

/** Live user tensors (for debugging leaks). */
export function liveTensors(): Tensor[] {
  return [...live];
}
