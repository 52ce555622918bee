// The GPT and nn.MultiheadAttention against real PyTorch (Debian's python3-torch, 1.13, in
// /usr/bin/python3): a webgrad GPT checkpoint loads with strict=True into a torch.nn twin of
// nanoGPT's model (written below; torch 1.13 has no F.scaled_dot_product_attention, so the
// attention is explicit) and gives the same logits, loss and gradients; a torch checkpoint loads
// into webgrad and gives torch's logits; nn.MultiheadAttention matches torch.nn.MultiheadAttention
// with the same weights (outputs, averaged weights, input and weight gradients).
// Python and its safetensors helpers: test/torch-python.ts. Outside CI a missing torch skips
// with the reason; with CI=true it is a failure.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GPT, nn, randn, tensor, tidy, type Tensor } from '../src/index.ts';
import { expectClose } from './helpers.ts';
import { readF32, reason, runPython, torchVersion } from './torch-python.ts';

const PY_GPT = String.raw`
# nanoGPT's model.py (bias=True, dropout 0) with the attention written out.
class CausalSelfAttention(nn.Module):
    def __init__(self, E, H):
        super().__init__()
        self.c_attn = nn.Linear(E, 3 * E)
        self.c_proj = nn.Linear(E, E)
        self.attn_dropout = nn.Dropout(0.0)
        self.resid_dropout = nn.Dropout(0.0)
        self.n_head = H
    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = self.attn_dropout(F.softmax(att.masked_fill(~causal, float('-inf')), dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))

class MLP(nn.Module):
    def __init__(self, E):
        super().__init__()
        self.c_fc = nn.Linear(E, 4 * E)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * E, E)
        self.dropout = nn.Dropout(0.0)
    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

class Block(nn.Module):
    def __init__(self, E, H):
        super().__init__()
        self.ln_1 = nn.LayerNorm(E)
        self.attn = CausalSelfAttention(E, H)
        self.ln_2 = nn.LayerNorm(E)
        self.mlp = MLP(E)
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

class GPT(nn.Module):
    def __init__(self, V, block, L, H, E):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(V, E), wpe=nn.Embedding(block, E), drop=nn.Dropout(0.0),
            h=nn.ModuleList([Block(E, H) for _ in range(L)]), ln_f=nn.LayerNorm(E)))
        self.lm_head = nn.Linear(E, V, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
    def forward(self, idx):
        T = idx.size(1)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T)))
        for b in self.transformer.h:
            x = b(x)
        return self.lm_head(self.transformer.ln_f(x))
`;

const python = (script: string, dir: string): unknown => runPython(PY_GPT, script, dir);
const f32 = readF32;
const CFG = { vocabSize: 13, blockSize: 9, nLayer: 2, nHead: 2, nEmbd: 16 };
const [B, T] = [2, 7];
const idsData = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 3) % 13);
const targetData = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % 13);
const i32 = (d: Int32Array) => tensor(d, { shape: [B, T], dtype: 'i32' });

/** A parameter's gradient in torch's layout (Linear weights [out, in]). */
async function torchGrad(spec: { tensor: Tensor; torchTransposed: boolean }): Promise<Float32Array> {
  const g = (await spec.tensor.grad!.data()) as Float32Array;
  if (!spec.torchTransposed) return g;
  const [r, c] = spec.tensor.shape;
  return nn.transpose2d(g, r, c);
}

describe.skipIf(!torchVersion && process.env.CI !== 'true')(`PyTorch interop for the GPT and MultiheadAttention (torch ${torchVersion ?? 'missing'})`, () => {
  it('python3-torch is importable', () => {
    expect(torchVersion, reason).not.toBeNull();
  });

  it('GPT checkpoints both ways: webgrad -> torch (strict=True; same logits, loss and gradients) and torch -> webgrad (same logits)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-gpt-'));
    const model = new GPT({ ...CFG, seed: 21 });
    const ids = i32(idsData);
    const targets = i32(targetData);
    const logits = model.forward(ids);
    const y = (await logits.data()) as Float32Array;
    logits.dispose();
    const loss = tidy(() => {
      const l = model.loss(ids, targets);
      l.backward();
      return l;
    });
    const lossValue = (await loss.data())[0];
    writeFileSync(join(dir, 'model.safetensors'), await nn.toSafetensors(model));
    writeFileSync(join(dir, 'ids.i32'), idsData);
    writeFileSync(join(dir, 'targets.i32'), targetData);
    // One python process for both directions (importing torch is most of its time).
    const r = python(
      String.raw`
d = sys.argv[1]
m = GPT(13, 9, 2, 2, 16)
state = load(d + '/model.safetensors')
m.load_state_dict(state, strict=True)
ids = torch.from_numpy(np.fromfile(d + '/ids.i32', dtype=np.int32).astype(np.int64).reshape(2, 7))
targets = torch.from_numpy(np.fromfile(d + '/targets.i32', dtype=np.int32).astype(np.int64).reshape(2, 7))
logits = m(ids)
loss = F.cross_entropy(logits.view(-1, 13), targets.view(-1))
loss.backward()
logits.detach().numpy().astype(np.float32).tofile(d + '/logits.f32')
save(d + '/grads.safetensors', {n: p.grad for n, p in m.named_parameters()})
tied = m.lm_head.weight.data_ptr() == m.transformer.wte.weight.data_ptr()

# torch -> webgrad: a torch-initialised model with non-trivial LayerNorm and bias values.
torch.manual_seed(0)
t = GPT(13, 9, 2, 2, 16)
with torch.no_grad():
    for n, p in t.named_parameters():
        if n.endswith('bias') or 'ln' in n:
            p.add_(torch.randn_like(p) * 0.1)
    t(ids).numpy().astype(np.float32).tofile(d + '/torch-logits.f32')
save(d + '/torch.safetensors', t.state_dict())
print(json.dumps({'keys': list(state.keys()), 'loss': loss.item(), 'tied': tied}))
`,
      dir,
    ) as { keys: string[]; loss: number; tied: boolean };
    expect(r.tied).toBe(true);
    expect(r.keys).toContain('lm_head.weight');
    expectClose(y, f32(join(dir, 'logits.f32')), { atol: 1e-4, rtol: 1e-4 });
    expect(Math.abs(lossValue - r.loss)).toBeLessThan(1e-4);
    const grads = nn.decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'grads.safetensors')))).tensors;
    const specs = model.parameterSpecs();
    expect(specs.map(([n]) => n).sort()).toEqual([...grads.keys()].sort());
    for (const [name, spec] of specs) {
      expectClose(await torchGrad(spec), grads.get(name)!.data, { atol: 2e-5, rtol: 1e-3 });
    }
    loss.dispose();
    model.dispose();

    const loaded = new GPT({ ...CFG, seed: 5 });
    nn.loadSafetensors(loaded, new Uint8Array(readFileSync(join(dir, 'torch.safetensors'))));
    const out = loaded.forward(ids);
    expectClose((await out.data()) as Float32Array, f32(join(dir, 'torch-logits.f32')), { atol: 1e-4, rtol: 1e-4 });
    out.dispose();
    loaded.dispose();
  });

  it('nn.MultiheadAttention matches torch.nn.MultiheadAttention: outputs, weights and gradients', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-mha-'));
    const [E, H, L, S, N] = [12, 3, 5, 6, 2];
    const mha = new nn.MultiheadAttention(E, H, { seed: 4 });
    // Non-zero biases, so their layout is tested too.
    mha.inProjBias!.write(Array.from({ length: 3 * E }, (_, i) => Math.sin(i)));
    const x = randn([L, N, E], { seed: 1, requiresGrad: true });
    const kv = randn([S, N, E], { seed: 2, requiresGrad: true });
    const w = randn([L, N, E], { seed: 3 });
    const causal = tensor(Int32Array.from({ length: L * L }, (_, i) => Number(i % L > Math.floor(i / L))), { shape: [L, L], dtype: 'i32' });
    // Self-attention with torch's boolean attn_mask (true = blocked), and cross-attention with a key padding mask and weights.
    const self = mha.forward(x, x, x, { attnMask: causal });
    // Key padding: batch 1 ignores its last two keys.
    const kpm = tensor(Int32Array.from({ length: N * S }, (_, i) => Number(i >= S && i % S >= S - 2)), { shape: [N, S], dtype: 'i32' });
    const [cross, weights] = mha.forwardWithWeights(x, kv, kv, { keyPaddingMask: kpm });
    tidy(() => self.mul(w).sum().add(cross.mul(w).sum()).backward());
    writeFileSync(join(dir, 'mha.safetensors'), await nn.toSafetensors(mha));
    for (const [n, t] of [['x', x], ['kv', kv], ['w', w]] as const) writeFileSync(join(dir, `${n}.f32`), (await t.data()) as Float32Array);
    const r = python(
      String.raw`
d = sys.argv[1]
m = nn.MultiheadAttention(12, 3)
state = load(d + '/mha.safetensors')
m.load_state_dict(state, strict=True)
rd = lambda n, s: torch.from_numpy(np.fromfile(d + '/' + n + '.f32', dtype=np.float32).reshape(s))
x = rd('x', (5, 2, 12)).requires_grad_()
kv = rd('kv', (6, 2, 12)).requires_grad_()
w = rd('w', (5, 2, 12))
mask = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
self_out, _ = m(x, x, x, attn_mask=mask, need_weights=False)
kpm = torch.zeros(2, 6, dtype=torch.bool)
kpm[1, 4:] = True
cross, weights = m(x, kv, kv, key_padding_mask=kpm)
((self_out * w).sum() + (cross * w).sum()).backward()
save(d + '/out.safetensors', {'self': self_out, 'cross': cross, 'weights': weights, 'gx': x.grad, 'gkv': kv.grad,
    'g_in_proj_weight': m.in_proj_weight.grad, 'g_in_proj_bias': m.in_proj_bias.grad, 'g_out_proj.weight': m.out_proj.weight.grad})
print(json.dumps({'keys': list(state.keys())}))
`,
      dir,
    ) as { keys: string[] };
    expect(r.keys.sort()).toEqual(['in_proj_bias', 'in_proj_weight', 'out_proj.bias', 'out_proj.weight']);
    const ref = nn.decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors')))).tensors;
    const tol = { atol: 2e-5, rtol: 1e-4 };
    expectClose(await self.data(), ref.get('self')!.data, tol);
    expectClose(await cross.data(), ref.get('cross')!.data, tol);
    expect(weights.shape).toEqual([N, L, S]);
    expectClose(await weights.data(), ref.get('weights')!.data, tol);
    expectClose(await x.grad!.data(), ref.get('gx')!.data, tol);
    expectClose(await kv.grad!.data(), ref.get('gkv')!.data, tol);
    const specs = new Map(mha.parameterSpecs());
    expectClose(await torchGrad(specs.get('in_proj_weight')!), ref.get('g_in_proj_weight')!.data, tol);
    expectClose(await torchGrad(specs.get('in_proj_bias')!), ref.get('g_in_proj_bias')!.data, tol);
    expectClose(await torchGrad(specs.get('out_proj.weight')!), ref.get('g_out_proj.weight')!.data, tol);
    mha.dispose();
  });
});

describe.skipIf(Boolean(torchVersion) || process.env.CI === 'true')('PyTorch interop for the GPT', () => {
  it.skip(`skipped: ${reason}`, () => {});
});
