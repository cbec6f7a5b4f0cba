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
const appPort = Number(process.env.SQUINT_BENCH_PORT ?? 5199) + 1;

async function save(key: string, result: unknown, chromium: string): Promise<void> {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await readFile(out, 'utf8'));
  } catch { /* first run */ }
  all = { benchmark: 'browser', date: new Date().toISOString(), machine: { description: '2-core x86 VM, no GPU', chromium, webgpu: 'SwiftShader (software Vulkan)' }, results: { ...(all.results as object), [key]: result } };
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(all, null, 2) + '\n');
}

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
    await save(backend, result, browser.version());
  });
}

test('the app (built, WASM): cold load, then cached load, to a ready model and to the first streamed token', async ({ browser }) => {
  // one context for both loads: the second finds the model in the Cache API
  const context = await browser.newContext();
  // when the agent worker's first event of each type arrives (ms since navigation start)
  await context.addInitScript(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __events: Record<string, number> }).__events = seen;
    const Original = window.Worker;
    window.Worker = class extends Original {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        seen.workerCreated ??= performance.now();
        this.addEventListener('message', (e: MessageEvent) => void (seen[(e.data as { type: string }).type] ??= performance.now()));
      }
    } as typeof Worker;
  });
  const page = await context.newPage();
  const base = `http://localhost:${appPort}`;
  const loads: object[] = [];
  for (const kind of ['cold', 'cached']) {
    const t0 = Date.now();
    await page.goto(`${base}/?backend=wasm`);
    await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 60_000 });
    const readyMs = Date.now() - t0;
    const events = await page.evaluate(() => (window as unknown as { __events: Record<string, number> }).__events);
    const sinceNavigation = Object.fromEntries(Object.entries(events).map(([k, v]) => [k, Math.round(v)]));
    await page.getByRole('button', { name: 'Model', exact: true }).click();
    const download = await page.getByRole('complementary', { name: 'About the model' }).getByText(/from the (server|browser cache) in/).innerText();
    await page.getByRole('button', { name: 'Model', exact: true }).click();
    // first token: a question on an image, timed from the click to the first streamed piece
    await page.getByRole('button', { name: 'New puzzle' }).first().click();
    await expect(page.getByTestId('original')).toBeVisible({ timeout: 20_000 });
    const t1 = Date.now();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(() => !!document.querySelector('[data-testid=live] .raw span')?.textContent || !!document.querySelector('[data-testid=step]'), undefined, { timeout: 60_000, polling: 'raf' });
    const firstOutputMs = Date.now() - t1;
    await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    loads.push({ kind, navigationToReadyMs: readyMs, workerEventsMsSinceNavigation: sinceNavigation, modelCard: download, runClickToFirstOutputMs: firstOutputMs });
  }
  console.log(JSON.stringify(loads, null, 1));
  expect((loads[1] as { modelCard: string }).modelCard).toContain('from the browser cache');
  await save('appLoad', loads, browser.version());
  await context.close();
});
