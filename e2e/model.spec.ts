/** Loading the model: Cache API (second load offline), per-shard progress, and bad files. */
import { expect, openApp, test } from './fixtures';

test('the second load comes from the Cache API with no network, checksums still verified', async ({ page, context }) => {
  const modelRequests: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/models/')) modelRequests.push(r.url()); });
  await openApp(page, 'wasm');
  expect(modelRequests.some((u) => /weights\.shard\d+of\d+\.bin$/.test(u)), 'shards came from the server').toBe(true);
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  await expect(page.getByText(/from the server in [\d.]+ s · checksums verified/)).toBeVisible();

  // Reload with the model directory unreachable: everything must come from the cache.
  modelRequests.length = 0;
  await context.route('**/models/**', (route) => route.abort('internetdisconnected'));
  await openApp(page, 'wasm');
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  await expect(page.getByText(/from the browser cache in [\d.]+ s · checksums verified/)).toBeVisible();
  // Only the background "is there a newer model?" check may have tried the network, and it failed quietly.
  expect(modelRequests.filter((u) => !u.endsWith('/model.json'))).toEqual([]);
  await expect(page.getByTestId('message')).toHaveCount(0);

  // A corrupted cached shard is caught by the checksum and fetched again from the server.
  await context.unroute('**/models/**');
  await page.evaluate(async () => {
    const cache = await caches.open('squint-models-v1');
    for (const req of await cache.keys()) {
      if (!req.url.includes('.bin')) continue;
      const bytes = new Uint8Array(await (await cache.match(req))!.arrayBuffer());
      bytes[100] ^= 0xff;
      await cache.put(req, new Response(bytes));
    }
  });
  await openApp(page, 'wasm');
  await expect(page.getByTestId('message').filter({ hasText: /sha256 mismatch.*trying once more from the server/ })).toBeVisible();
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  await expect(page.getByText(/from the server in [\d.]+ s · checksums verified/)).toBeVisible();
});

test('a corrupt shard from the server gives an error naming the file and the fault; Retry recovers', async ({ page, context }) => {
  let corrupt = true;
  await context.route(/\/models\/default\/weights\.shard\d+of\d+\.bin$/, async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    if (corrupt) body[body.length >> 1] ^= 0xff;
    await route.fulfill({ response, body });
  });
  await page.goto('/?backend=wasm');
  const error = page.getByTestId('load-error');
  await expect(error).toBeVisible({ timeout: 30_000 });
  await expect(error).toContainText(/File weights\.shard1of\d+\.bin — checksum\./);
  await expect(error).toContainText('sha256 mismatch');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  // Puzzles still work without a model.
  await page.getByRole('button', { name: 'Try a puzzle' }).click();
  await expect(page.getByTestId('original')).toBeVisible({ timeout: 20_000 });

  corrupt = false;
  await error.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await expect(error).toHaveCount(0);
});

test('load progress is reported per shard', async ({ page }) => {
  // Record every text the banner shows (a MutationObserver from the first paint), so a fast
  // load on a quiet machine and a slow one on a loaded machine are checked alike.
  await page.addInitScript(() => {
    const seen: string[] = ((window as unknown as { bannerTexts: string[] }).bannerTexts = []);
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="load-progress"]')?.textContent;
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.route(/weights\.shard\d+of\d+\.bin$/, async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('load-progress')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await expect(page.getByTestId('load-progress')).toHaveCount(0);
  const texts = await page.evaluate(() => (window as unknown as { bannerTexts: string[] }).bannerTexts);
  expect(texts.some((t) => /weights\.shard1of\d+\.bin/.test(t)), texts.join(' | ')).toBe(true);
  expect(texts.some((t) => /Loading the model… [\d.]+ MB of [\d.]+ MB/.test(t)), texts.join(' | ')).toBe(true);
});
