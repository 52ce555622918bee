// Host-side layout changes for engines whose native layout differs from the suites' (TF.js's
// NHWC / HWIO, jax-js attention's [B, T, H, D]): done once outside the timing, and on results.

/** A row-major 4-D array with its axes permuted (out axis d = in axis perm[d]). */
export function permute4(a: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(a.length);
  const os = perm.map((p) => shape[p]);
  const st = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  let i = 0;
  for (let a0 = 0; a0 < os[0]; a0++) for (let a1 = 0; a1 < os[1]; a1++) for (let a2 = 0; a2 < os[2]; a2++) for (let a3 = 0; a3 < os[3]; a3++) {
    out[i++] = a[a0 * st[perm[0]] + a1 * st[perm[1]] + a2 * st[perm[2]] + a3 * st[perm[3]]];
  }
  return out;
}

/** Arrays joined end to end (a multi-output case's result). */
export function concatF32(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}
