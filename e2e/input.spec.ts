/** Getting images in: drag-and-drop, paste, and bad input that must be refused clearly. */
import { dropFile, expect, openApp, pagePng, pasteFile, setLimits, test } from './fixtures';

test('an image dropped on the page or pasted opens, and a pasted image can be run', async ({ page }) => {
  await openApp(page, 'wasm');
  const dropped = await pagePng(page, 320, 200);
  await dropFile(page, 'dropped.png', 'image/png', dropped);
  await expect(page.getByTestId('original')).toHaveAttribute('alt', /dropped\.png, 320×200 pixels/);

  const pasted = await pagePng(page, 500, 260);
  await pasteFile(page, 'image.png', 'image/png', pasted);
  await expect(page.getByTestId('original')).toHaveAttribute('alt', /image\.png, 500×260 pixels/);
  await expect(page.getByText('500×260', { exact: true })).toBeVisible();

  // Text pasted into the question box stays text.
  await page.getByRole('textbox', { name: 'Question' }).fill('What colour is the circle?');
  await setLimits(page, { maxTurns: 1, maxTokens: 16 });
  await page.getByRole('textbox', { name: 'Question' }).press('Control+Enter');
  await expect(page.getByTestId('final')).toBeVisible({ timeout: 30_000 });
});

test('a corrupt image, a non-image file and an oversized image each give a clear message; the app keeps working', async ({ page }, testInfo) => {
  await openApp(page, 'wasm');
  const good = await pagePng(page, 300, 300);
  await dropFile(page, 'good.png', 'image/png', good);
  await expect(page.getByTestId('original')).toHaveAttribute('alt', /good\.png/);
  const message = page.getByTestId('message');

  // 1. A PNG header followed by garbage.
  const corrupt = Buffer.concat([good.subarray(0, 33), Buffer.alloc(400, 0x5a)]);
  await dropFile(page, 'corrupt.png', 'image/png', corrupt);
  await expect(message.filter({ hasText: '"corrupt.png" looks like a PNG image but could not be decoded' })).toBeVisible();
  await expect(page.getByTestId('original')).toHaveAttribute('alt', /good\.png/);

  // 2. Not an image at all.
  await dropFile(page, 'notes.txt', 'text/plain', Buffer.from('These are my notes, not a picture.'));
  await expect(message.filter({ hasText: '"notes.txt" is not an image (text/plain, 34 bytes)' })).toBeVisible();

  // 3. A PNG whose header claims 40000×40000 px: refused before decoding.
  const huge = Buffer.from(good);
  huge.writeUInt32BE(40000, 16);
  huge.writeUInt32BE(40000, 20);
  await dropFile(page, 'huge.png', 'image/png', huge);
  await expect(message.filter({ hasText: /40000×40000 px .* too large to open safely/ })).toBeVisible();

  // 4. A real image over the 8192 px limit: downscaled, with a notice.
  const wide = await pagePng(page, 10000, 400);
  await pasteFile(page, 'wide.png', 'image/png', wide);
  await expect(message.filter({ hasText: /10000×400 px .* downscaled to 8192×327 px/ })).toBeVisible();
  await expect(page.getByText('8192×327 (downscaled)')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('bad-input.png') });

  // Still working: a puzzle can be generated and run.
  await page.getByRole('button', { name: 'New puzzle' }).click();
  await expect(page.getByTestId('original')).toHaveAttribute('alt', /squint-puzzle-\d+\.png/, { timeout: 20_000 });
  await setLimits(page, { maxTurns: 1, maxTokens: 8 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
});
