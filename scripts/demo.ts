// `npm run demo`: write the MNIST digits for the page (scripts/demo-data.ts) and serve the demo
// with Vite on 127.0.0.1 (WebGPU needs a secure origin: localhost / 127.0.0.1 qualify).
//   npm run demo [-- --port 5173]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { ensureDemoData } from './demo-data.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--port');
const port = i >= 0 ? Number(process.argv[i + 1]) : 5173;
await ensureDemoData();
const server = await createServer({ configFile: join(root, 'vite.config.ts'), root, server: { host: '127.0.0.1', port } });
await server.listen();
const addr = server.httpServer?.address();
const actual = addr && typeof addr === 'object' ? addr.port : port;
console.log(`webgrad demo: http://127.0.0.1:${actual}/demo/  (Ctrl+C to stop)`);
