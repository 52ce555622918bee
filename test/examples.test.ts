// The examples run with one command each (npx tsx examples/x.ts) and print the numbers their
// seeds work through; this suite runs them (as processes, like a user would, and imported for
// exact values) so they cannot rot.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { run as workedNetwork } from '../examples/worked-network.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exec = promisify(execFile);

// --conditions=webgrad-source as the README's commands: src/ resolves #platform to src/platform/,
// not to dist/ (which the package test rebuilds while other files run).
async function runExample(file: string, args: string[] = []): Promise<string> {
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const { stdout } = await exec(process.execPath, [tsx, '--conditions=webgrad-source', join(root, 'examples', file), ...args], {
    cwd: root,
    env: { ...process.env, WEBGRAD_QUIET: '1' },
    timeout: 150_000,
  });
  return stdout;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('examples', () => {
  it('seed 001 worked network: every value of the document, in float64 agreement', async () => {
    const lines: string[] = [];
    const v = await workedNetwork((l) => lines.push(l));
    // float64 reference of the same network
    const z1 = [1 * 0.5 + 2 * 0.7 + 0.1, 1 * 0.6 + 2 * 0.8 + 0.2];
    const a1 = z1.map(sigmoid);
    const z2 = a1[0] * 0.9 + a1[1] * 0.1 + 0.3;
    const yh = sigmoid(z2);
    const d2 = (yh - 0.5) * yh * (1 - yh);
    const d1 = [d2 * 0.9 * a1[0] * (1 - a1[0]), d2 * 0.1 * a1[1] * (1 - a1[1])];
    const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 6);
    v.z1.forEach((x, i) => close(x, z1[i]));
    v.a1.forEach((x, i) => close(x, a1[i]));
    close(v.z2, z2);
    close(v.yHat, yh);
    close(v.loss, 0.5 * (yh - 0.5) ** 2);
    close(v.delta2, d2);
    v.dW2.forEach((x, i) => close(x, d2 * a1[i]));
    close(v.db2, d2);
    v.delta1.forEach((x, i) => close(x, d1[i]));
    // webgrad's dW1 is [in, out] = X^T delta1: the transpose of the seed's delta1^T X
    expect(v.dW1).toHaveLength(2);
    [1, 2].forEach((x, i) => d1.forEach((d, j) => close(v.dW1[i][j], x * d)));
    v.db1.forEach((x, i) => close(x, d1[i]));
    // the fused linear(..., 'sigmoid') path gives the same loss and gradients
    close(v.fused.loss, v.loss);
    v.fused.dW1.flat().forEach((x, i) => close(x, v.dW1.flat()[i]));
    // the values the seed prints (where its arithmetic holds), at its 4 decimals
    expect(lines.join('\n')).toMatch(/z1 = X W1 \+ b1 +\[2\.0000, 2\.4000\]/);
    expect(lines.join('\n')).toMatch(/delta1 = dL\/dz1 +\[0\.0045, 0\.0004\]/);
    expect(lines.join('\n')).toMatch(/L = 1\/2 \(y_hat - y\)\^2 +0\.0353/);
  });

  it('each example runs with one command and prints its key results', async () => {
    const [worked, miniflow, twoLayer] = await Promise.all([
      runExample('worked-network.ts'),
      runExample('miniflow.ts', ['--epochs', '40']),
      runExample('two-layer-net.ts', ['--iters', '20']),
    ]);
    expect(worked).toMatch(/a1 = sigma\(z1\) +\[0\.8808, 0\.9168\] +seed: \[0\.8808, 0\.9084\] \(slip/);
    expect(worked).toMatch(/dL\/dW1 = X\^T delta1 \[in, out\] +\[\[0\.0045, 0\.0004\], \[0\.0090, 0\.0007\]\]/);

    const diffs = [...miniflow.matchAll(/max \|difference\| ([\d.e+-]+)/g)].map((m) => Number(m[1]));
    expect(diffs).toHaveLength(4);
    for (const d of diffs) expect(d).toBeLessThan(1e-5);
    const costs = [...miniflow.matchAll(/cost webgrad ([\d.]+) +MiniFlow ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(costs.length).toBeGreaterThanOrEqual(2);
    for (const [g, c] of costs) expect(Math.abs(g - c)).toBeLessThan(1e-4);
    expect(costs[costs.length - 1][0]).toBeLessThan(costs[0][0] / 2);

    const m = /max relative error ([\d.e+-]+): passed/.exec(twoLayer);
    expect(m, twoLayer).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(1e-5);
    expect([...twoLayer.matchAll(/relative error [\d.e+-]+$/gm)]).toHaveLength(12);
    expect(twoLayer).toMatch(/test acc after 20 iterations: [\d.]+%/);
  });
});
