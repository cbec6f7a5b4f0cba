/** Getting images in: drag-and-drop, paste, and bad input that must be refused clearly. */
import { type Page } from '@playwright/test';
import { dropFile, expect, openApp, pagePng, pasteFile, setLimits, test } from './fixtures';
import { makeAnimatedGif, makeJpeg, makePng, pngHeaderClaiming, withExifOrientation } from './image-fixtures';

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

/** RGBA of the displayed original at fractional position (fx, fy), read in the page. */
async function originalPixel(page: Page, fx: number, fy: number): Promise<number[]> {
  return page.evaluate(async ([fx, fy]) => {
    const img = document.querySelector<HTMLImageElement>('[data-testid=original]')!;
    await img.decode();
    const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight).getContext('2d')!;
    c.drawImage(img, 0, 0);
    return [...c.getImageData(Math.floor(fx! * img.naturalWidth), Math.floor(fy! * img.naturalHeight), 1, 1).data];
  }, [fx, fy]);
}

const near = (got: number[], want: number[], tolerance = 40) => want.every((v, i) => Math.abs(got[i]! - v) <= tolerance);

test('unusual but valid images open with the right size and pixels: 1×1, EXIF-rotated JPEG, 16-bit and grayscale PNGs, animated GIF', async ({ page }) => {
  await openApp(page, 'wasm');
  const original = page.getByTestId('original');

  // 1×1: opens (the model letterboxes it like any image)
  await dropFile(page, 'one.png', 'image/png', makePng(1, 1, 2, 8, (_x, _y, c) => [1, 0.5, 0][c]!));
  await expect(original).toHaveAttribute('alt', /one\.png, 1×1 pixels/);

  // EXIF orientation 6 (rotate 90° clockwise): a 60×30 JPEG, red left / blue right, shows as 30×60 red top / blue bottom
  await dropFile(page, 'rotated.jpg', 'image/jpeg', withExifOrientation(makeJpeg(60, 30), 6));
  await expect(original).toHaveAttribute('alt', /rotated\.jpg, 30×60 pixels/);
  expect(near(await originalPixel(page, 0.5, 0.2), [208, 0, 0, 255]), 'top is red').toBe(true);
  expect(near(await originalPixel(page, 0.5, 0.8), [0, 48, 208, 255]), 'bottom is blue').toBe(true);

  // 16-bit RGB: a horizontal red ramp, green from y
  await dropFile(page, 'deep.png', 'image/png', makePng(50, 40, 2, 16, (x, y, c) => (c === 0 ? x / 49 : c === 1 ? y / 39 : 0)));
  await expect(original).toHaveAttribute('alt', /deep\.png, 50×40 pixels/);
  expect(near(await originalPixel(page, 0.99, 0), [255, 0, 0, 255], 8)).toBe(true);

  // grayscale 8-bit and 16-bit, grayscale with alpha
  await dropFile(page, 'grey.png', 'image/png', makePng(40, 20, 0, 8, (x) => x / 39));
  await expect(original).toHaveAttribute('alt', /grey\.png, 40×20 pixels/);
  await dropFile(page, 'grey16.png', 'image/png', makePng(41, 21, 0, 16, () => 0.5));
  await expect(original).toHaveAttribute('alt', /grey16\.png, 41×21 pixels/);
  expect(near(await originalPixel(page, 0.5, 0.5), [128, 128, 128, 255], 4)).toBe(true);
  await dropFile(page, 'grey-alpha.png', 'image/png', makePng(42, 22, 4, 8, (_x, _y, c) => (c === 0 ? 0.2 : 1)));
  await expect(original).toHaveAttribute('alt', /grey-alpha\.png, 42×22 pixels/);

  // animated GIF: its first frame (red left half)
  await dropFile(page, 'anim.gif', 'image/gif', makeAnimatedGif(60, 30));
  await expect(original).toHaveAttribute('alt', /anim\.gif, 60×30 pixels/);
  expect(near(await originalPixel(page, 0.1, 0.5), [255, 0, 0, 255], 8)).toBe(true);
  await expect(page.getByTestId('message')).toHaveCount(0);

  // and an episode runs on the last one
  await page.getByRole('textbox', { name: 'Question' }).fill('What colour is the left half?');
  await setLimits(page, { maxTurns: 2, maxTokens: 12 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
});

test('empty, truncated, mislabelled, SVG and decompression-bomb files are refused with a clear message; the app keeps working', async ({ page }) => {
  await openApp(page, 'wasm');
  const good = await pagePng(page, 300, 200);
  await dropFile(page, 'good.png', 'image/png', good);
  const original = page.getByTestId('original');
  await expect(original).toHaveAttribute('alt', /good\.png/);
  const message = page.getByTestId('message');
  const refused = async (name: string, mime: string, bytes: Buffer, text: string | RegExp) => {
    await dropFile(page, name, mime, bytes);
    await expect(message.filter({ hasText: text })).toBeVisible();
    await expect(original, `${name} must not replace the open image`).toHaveAttribute('alt', /good\.png/);
  };

  await refused('empty.png', 'image/png', Buffer.alloc(0), '"empty.png" is empty.');
  // truncated files: the header is valid (so the size is known), the pixel data stops early
  await refused('cut.png', 'image/png', good.subarray(0, Math.floor(good.length / 2)), '"cut.png" looks like a PNG image but could not be decoded');
  const jpeg = makeJpeg(400, 300);
  await refused('cut.jpg', 'image/jpeg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), '"cut.jpg" looks like a JPEG image but could not be decoded');
  await refused('holiday.jpg', 'image/jpeg', Buffer.from('PK\u0003\u0004 this is a zip archive renamed to .jpg'), '"holiday.jpg" could not be decoded as an image');
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>parent.__svgRan = true</script><rect width="100" height="100" fill="red"/></svg>');
  await refused('drawing.svg', 'image/svg+xml', svg, '"drawing.svg" is an SVG (vector) image');
  await refused('drawing.png', 'image/png', svg, '"drawing.png" is an SVG (vector) image');
  await refused('bomb.png', 'image/png', pngHeaderClaiming(30000, 30000), /30000×30000 px \(900(\.0)? MP\), too large to open safely/);
  expect(await page.evaluate(() => (window as unknown as { __svgRan?: boolean }).__svgRan)).toBeUndefined();

  // still working
  await page.getByRole('textbox', { name: 'Question' }).fill('What is in the middle?');
  await setLimits(page, { maxTurns: 1, maxTokens: 8 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
});
