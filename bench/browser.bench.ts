/**
 * npm run bench:browser [-- --grep wasm]   (QUICK=1 for a short run)
 *
 * Decoding (cached vs recomputed), episodes and load time in Chromium's worker, on WASM and on
 * WebGPU (SwiftShader here: software). Writes bench/results/browser.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'browser.json');

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`Chromium worker benchmark on ${backend}`, async ({ page, browser }) => {
    page.on('console', (m) => m.type() === 'error' && console.log(`[page] ${m.text()}`));
    await page.goto(`/bench/browser/index.html?backend=${backend}${process.env.QUICK ? '&quick' : ''}`);
    await expect.poll(() => page.evaluate(() => {
      const w = window as unknown as { __benchResult?: unknown; __benchError?: string };
      if (w.__benchError) throw new Error(w.__benchError);
      return w.__benchResult !== undefined;
    }), { timeout: 14 * 60_000, intervals: [1000] }).toBe(true);
    const result = await page.evaluate(() => (window as unknown as { __benchResult: unknown }).__benchResult);
    console.log(JSON.stringify(result, null, 1));
    let all: Record<string, unknown> = {};
    try {
      all = JSON.parse(await readFile(out, 'utf8'));
    } catch { /* first run */ }
    all = { benchmark: 'browser', date: new Date().toISOString(), machine: { description: '2-core x86 VM, no GPU', chromium: browser.version(), webgpu: 'SwiftShader (software Vulkan)' }, results: { ...(all.results as object), [backend]: result } };
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(all, null, 2) + '\n');
  });
}
