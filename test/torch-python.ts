// Running real PyTorch from the interop tests (test/torch-*.test.ts): Debian's python3-torch in
// /usr/bin/python3, probed once; safetensors files read and written by hand in Python
// (struct + json), so the python `safetensors` package is not needed. Outside CI a missing
// torch skips those suites with `reason`; with CI=true it is a failure.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
/** torch's version, or null when it is not importable. */
export const torchVersion = probe.status === 0 ? probe.stdout.trim() : null;
export const reason = `torch is not importable by ${PYTHON} (${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}); install Debian python3-torch (scripts/setup-system.sh)`;

/** Python: imports, and load(path) / save(path, state) for F32 and I64 safetensors files. */
export const PY_SAFETENSORS = String.raw`
import json, math, struct, sys
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

DT = {'F32': (np.float32, torch.float32), 'I64': (np.int64, torch.int64)}

def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        arr = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=DT[info['dtype']][0]).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out

def save(path, state):
    header, blobs, off = {}, [], 0
    for name, t in state.items():
        t = t.detach().contiguous()
        dtype = 'I64' if t.dtype == torch.int64 else 'F32'
        data = t.numpy().astype(DT[dtype][0]).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
`;

/** Run PY_SAFETENSORS + `prelude` + `script` with `dir` as sys.argv[1]; the last stdout line is JSON. */
export function runPython(prelude: string, script: string, dir: string): unknown {
  const r = spawnSync(PYTHON, ['-c', PY_SAFETENSORS + prelude + script, dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** A raw little-endian f32 file as a Float32Array. */
export const readF32 = (path: string): Float32Array => new Float32Array(new Uint8Array(readFileSync(path)).buffer);
