// Float64 reference of one optimizer step (torch.optim.SGD / Adam / AdamW), element by element,
// for the NaN/Inf table (docs/NUMERICS.md): PyTorch applies its update rules unchanged, so a
// NaN or Inf gradient flows into the parameter. test/optim.test.ts checks many steps separately.

export interface StepOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
  /** AdamW: decay the parameter itself instead of adding weightDecay * p to the gradient. */
  decoupled?: boolean;
}

/** The first SGD step from p with gradient g (the momentum buffer starts as g: torch's rule). */
export function sgdStepRef(p: readonly number[], g: readonly number[], o: StepOptions): number[] {
  return p.map((pi, i) => pi - o.lr * (g[i] + (o.weightDecay ?? 0) * pi));
}

/** The first Adam / AdamW step from p with gradient g (m and v start at 0, bias-corrected). */
export function adamStepRef(p: readonly number[], g: readonly number[], o: StepOptions): number[] {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  return p.map((p0, i) => {
    const pi = o.decoupled ? p0 * (1 - o.lr * wd) : p0;
    const gi = o.decoupled ? g[i] : g[i] + wd * p0;
    const m = (1 - b1) * gi;
    const v = (1 - b2) * gi * gi;
    return pi - (o.lr / (1 - b1)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2) + eps));
  });
}

/**
 * torch.nn.utils.clip_grad_norm_ in float64: the `p`-norm (Infinity: max |g|) of the per-tensor
 * norms, and every gradient times min(1, maxNorm / (norm + 1e-6)).
 */
export function clipGradNormRef(grads: readonly (readonly number[])[], maxNorm: number, p: number): { norm: number; clipped: number[][] } {
  const norms = grads.map((g) =>
    p === Infinity ? g.reduce((m, v) => (Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, Math.abs(v))), 0) : g.reduce((s, v) => s + Math.abs(v) ** p, 0) ** (1 / p),
  );
  const norm = p === Infinity ? norms.reduce((m, v) => (Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v)), 0) : norms.reduce((s, v) => s + v ** p, 0) ** (1 / p);
  const coef = Number.isNaN(norm) ? NaN : Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, clipped: grads.map((g) => g.map((v) => v * coef)) };
}
