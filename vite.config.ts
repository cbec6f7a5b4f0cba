/// <reference types="vitest/config" />
import { defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Serves the repository's `models/` directory at `/models/` (dev: live from disk, so a freshly
 * exported checkpoint is picked up; preview: from the build's copy) and copies it into the build.
 * Only plain model files (json, bin, md) one directory deep are served or copied.
 */
function squintModels(): Plugin {
  const modelsDir = fileURLToPath(new URL('./models', import.meta.url));
  const servable = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\/[A-Za-z0-9_-][A-Za-z0-9._-]*\.(json|bin|md)$/;
  const types: Record<string, string> = { json: 'application/json', bin: 'application/octet-stream', md: 'text/markdown; charset=utf-8' };
  let outDir = '';
  // models/index.json lists the served model directories (Train mode offers them as starting points)
  const index = () => JSON.stringify({ models: existsSync(modelsDir) ? readdirSync(modelsDir).filter((n) => /^[A-Za-z0-9_-]+$/.test(n) && existsSync(join(modelsDir, n, 'model.json'))).sort() : [] });
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const rel = decodeURIComponent((req.url ?? '').split('?')[0]!.replace(/^\//, ''));
    if (rel === 'index.json') {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache');
      return void res.end(index());
    }
    const file = resolve(modelsDir, rel);
    if (!servable.test(rel) || !file.startsWith(modelsDir + sep) || !existsSync(file) || !statSync(file).isFile()) return next();
    res.setHeader('Content-Type', types[rel.split('.').pop()!]!);
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  };
  return {
    name: 'squint-models',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use('/models', middleware);
    },
    writeBundle() {
      mkdirSync(join(outDir, 'models'), { recursive: true });
      writeFileSync(join(outDir, 'models', 'index.json'), index());
      if (!existsSync(modelsDir)) return;
      for (const name of readdirSync(modelsDir)) {
        const dir = join(modelsDir, name);
        if (!statSync(dir).isDirectory()) continue;
        cpSync(dir, join(outDir, 'models', name), { recursive: true, filter: (src) => src === dir || servable.test(`${name}/${src.slice(dir.length + 1)}`) });
      }
    },
  };
}

/**
 * tfjs-backend-wasm's threaded build starts its thread pool from `factory.toString()`, so the
 * factory must not reference its enclosing closure. Emscripten guards the one such reference
 * with `typeof _scriptDir !== "undefined"`, which the minifier rewrites to `_scriptDir !== void 0`
 * (ReferenceError in every pool thread). In a module worker `_scriptDir` is always undefined, so
 * the guard is replaced by `false` before minification.
 */
function tfjsWasmThreadsFix(): Plugin {
  return {
    name: 'squint-tfjs-wasm-threads-fix',
    transform(code, id) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
      const guard = 'typeof _scriptDir !== "undefined" && _scriptDir';
      return code.includes(guard) ? { code: code.replace(guard, 'false'), map: null } : null;
    },
  };
}

// Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Content-Security-Policy of the built app: only its own origin, plus what it makes itself —
 * blob: (crops and exports as object URLs, the WASM thread pool's workers), data: (the icon,
 * images embedded in imported traces) and 'wasm-unsafe-eval' (compiling tfjs' WASM backend).
 * No inline script, no eval, no remote anything. Sent as a header by `vite preview` (which also
 * covers the worker scripts) and written into the built index.html as a meta tag for static
 * hosts that cannot set headers (a meta policy does not reach workers: send the header there).
 * Not applied to the dev server, whose HMR client needs inline scripts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The CSP as a meta tag in the built index.html. */
function cspMetaTag(): Plugin {
  return {
    name: 'squint-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [react(), squintModels(), cspMetaTag()],
  server: { headers: isolationHeaders },
  preview: { headers: { ...isolationHeaders, 'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'` } },
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsFix()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
