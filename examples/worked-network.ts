// Seed 001's worked example, computed by webgrad on the GPU and printed value by value:
// a 2-2-1 network with sigmoid on both layers, X = [1, 2], target 0.5, squared-error loss
// L = 1/2 (y_hat - y)^2, W1 = [[0.5, 0.6], [0.7, 0.8]], b1 = [0.1, 0.2], W2 = [0.9, 0.1], b2 = 0.3.
//
//   npx tsx examples/worked-network.ts
//
// Layout: webgrad's W1 is [in, out] (z1 = X W1 + b1, as the seed writes it), so dL/dW1 =
// X^T delta1 is the transpose of the seed's delta1^T X, which lists it as [hidden, in].
// Where the seed's own arithmetic slips (it prints sigma(2.4) as 0.9084, the correct value is
// 0.9168, and carries y_hat = 0.7692 where sigma(1.1844) = 0.7657), the seed's printed number
// is shown next to the correct one and the values computed from it are marked.
import { pathToFileURL } from 'node:url';
import { init, linear, mseLoss, tensor, type Tensor } from '../src/index.ts';

export interface WorkedValues {
  z1: number[]; a1: number[]; z2: number; yHat: number; loss: number;
  dLdyHat: number; dyHatdz2: number; delta2: number; dW2: number[]; db2: number;
  dLda1: number[]; da1dz1: number[]; delta1: number[]; dW1: number[][]; db1: number[];
  /** The same gradients through the fused linear(x, W, b, 'sigmoid') op. */
  fused: { dW1: number[][]; dW2: number[]; loss: number };
}

const flat = async (t: Tensor) => Array.from(await t.data());
const fmt = (v: number | number[] | number[][]): string =>
  typeof v === 'number' ? v.toFixed(4) : `[${(v as (number | number[])[]).map((x) => fmt(x as number | number[])).join(', ')}]`;

export async function run(log: (line: string) => void = console.log): Promise<WorkedValues> {
  await init();
  const X = tensor([[1, 2]]);
  const y = tensor([[0.5]]);
  const params = () => ({
    W1: tensor([[0.5, 0.6], [0.7, 0.8]], { requiresGrad: true }),
    b1: tensor([0.1, 0.2], { requiresGrad: true }),
    W2: tensor([[0.9], [0.1]], { requiresGrad: true }), // [in 2, out 1]: the seed's W2 = [0.9, 0.1]
    b2: tensor([0.3], { requiresGrad: true }),
  });

  // Step by step, keeping every intermediate gradient (retainGrad) to print the deltas.
  const { W1, b1, W2, b2 } = params();
  const z1 = X.matmul(W1).add(b1).retainGrad();
  const a1 = z1.sigmoid().retainGrad();
  const z2 = a1.matmul(W2).add(b2).retainGrad();
  const yHat = z2.sigmoid().retainGrad();
  const loss = mseLoss(yHat, y, { reduction: 'sum' }).mul(0.5);
  loss.backward();

  const a1v = await flat(a1);
  const yh = (await flat(yHat))[0];
  const v: Omit<WorkedValues, 'fused'> = {
    z1: await flat(z1),
    a1: a1v,
    z2: (await flat(z2))[0],
    yHat: yh,
    loss: await loss.item(),
    dLdyHat: (await flat(yHat.grad!))[0],
    dyHatdz2: yh * (1 - yh),
    delta2: (await flat(z2.grad!))[0],
    dW2: await flat(W2.grad!),
    db2: (await flat(b2.grad!))[0],
    dLda1: await flat(a1.grad!),
    da1dz1: a1v.map((s) => s * (1 - s)),
    delta1: await flat(z1.grad!),
    dW1: (await W1.grad!.toArray()) as number[][],
    db1: await flat(b1.grad!),
  };

  // The same network as two fused linear ops (matmul + bias + sigmoid in one kernel each).
  const p = params();
  const fusedLoss = mseLoss(linear(linear(X, p.W1, p.b1, 'sigmoid'), p.W2, p.b2, 'sigmoid'), y, { reduction: 'sum' }).mul(0.5);
  fusedLoss.backward();
  const fused = { dW1: (await p.W1.grad!.toArray()) as number[][], dW2: await flat(p.W2.grad!), loss: await fusedLoss.item() };

  const rows: [string, number | number[] | number[][], string][] = [
    ['forward', [], ''],
    ['  z1 = X W1 + b1', v.z1, '[2.0, 2.4]'],
    ['  a1 = sigma(z1)', v.a1, '[0.8808, 0.9084] (slip: sigma(2.4) = 0.9168)'],
    ['  z2 = a1 W2 + b2', v.z2, '1.1835 (from its a1)'],
    ['  y_hat = sigma(z2)', v.yHat, '0.7692 (slip: sigma(1.1835) = 0.7656)'],
    ['  L = 1/2 (y_hat - y)^2', v.loss, '0.035'],
    ['backward', [], ''],
    ['  dL/dy_hat = y_hat - y', v.dLdyHat, '0.2692 (from its 0.7692)'],
    ['  dy_hat/dz2 = sigma\'(z2)', v.dyHatdz2, '0.1776 (from its 0.7692)'],
    ['  delta2 = dL/dz2', v.delta2, '0.0478'],
    ['  dL/dW2 = delta2 a1', v.dW2, '[0.0421, 0.0434] (from its a1)'],
    ['  dL/db2 = delta2', v.db2, '0.0478'],
    ['  dL/da1 = delta2 W2', v.dLda1, '[0.0430, 0.0048]'],
    ['  da1/dz1 = sigma\'(z1)', v.da1dz1, '[0.1051, 0.0833] (from its a1)'],
    ['  delta1 = dL/dz1', v.delta1, '[0.0045, 0.0004]'],
    ['  dL/dW1 = X^T delta1 [in, out]', v.dW1, '[[0.0045, 0.0090], [0.0004, 0.0008]] as [hidden, in]'],
    ['  dL/db1 = delta1', v.db1, '[0.0045, 0.0004]'],
  ];
  log('Seed 001: 2-2-1 sigmoid network, X = [1, 2], y = 0.5 (webgrad on the GPU; the seed\'s printed values on the right)');
  for (const [name, val, seed] of rows) {
    if (!seed) log(name);
    else log(`${name.padEnd(34)} ${fmt(val).padEnd(34)} seed: ${seed}`);
  }
  log(`fused linear(..., 'sigmoid') x 2: L = ${fmt(fused.loss)}, dL/dW1 = ${fmt(fused.dW1)}, dL/dW2 = ${fmt(fused.dW2)}`);
  return { ...v, fused };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
