// The shader-variant page: compiles every pipeline variant on this browser's WebGPU adapter
// (./compile.ts) and sets window.__results ({ userAgent, ...VariantReport }) for
// scripts/browser-harness.ts. ?pipelines=cover thins the pipeline compiles (SwiftShader).
import { compileVariants, variantDevice } from './compile.ts';

const out = document.getElementById('out')!;
const w = window as unknown as Record<string, unknown>;
try {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null');
  const device = await variantDevice(adapter);
  const mode = new URLSearchParams(location.search).get('pipelines') === 'cover' ? 'cover' : 'all';
  const report = await compileVariants(device, mode, (line) => (out.textContent = line));
  device.destroy();
  out.textContent = `${report.failures.length} failures\n${JSON.stringify(report.failures, null, 2)}`;
  w.__results = { userAgent: navigator.userAgent, ...report };
} catch (e) {
  w.__error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  out.textContent = String(w.__error);
}
