/**
 * The main path on each backend: a puzzle image uploaded through the file chooser, a run that
 * streams steps (crops matching their boxes) to an end state, and Stop. The model may be
 * undertrained: these tests assert structure, never that the answer is right.
 */
import { type Backend, checkCrops, checkReadingPicker, expect, newPuzzle, openApp, runThenStopAt, setLimits, settledReadings, test } from './fixtures';

// WebGPU on SwiftShader (this machine has no GPU) compiles kernels for each new sequence length:
// ~4 s per token on a first run under load, ~0.6 s after; WASM decodes ~30 tokens/s.
const LIMITS: Record<Backend, { maxTurns: number; maxTokens: number }> = {
  webgpu: { maxTurns: 1, maxTokens: 3 },
  wasm: { maxTurns: 4, maxTokens: 96 },
};

for (const backend of ['webgpu', 'wasm'] as const) {
  test.describe(`on ${backend}`, () => {
    test('a puzzle PNG uploaded through the file chooser runs to an end state, crops match boxes', async ({ page }, testInfo) => {
      await openApp(page, backend);
      await setLimits(page, LIMITS[backend]);
      // Hard puzzles have small targets: the model is most likely to zoom there.
      await page.getByRole('combobox', { name: 'Puzzle difficulty' }).selectOption({ label: 'Hard' });
      const question = await newPuzzle(page);

      // Save the puzzle as a PNG file, then open that file through the file chooser.
      const downloadPromise = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Save image' }).click();
      const download = await downloadPromise;
      const file = testInfo.outputPath(download.suggestedFilename());
      await download.saveAs(file);
      expect(download.suggestedFilename()).toMatch(/^squint-puzzle-\d+\.png$/);
      const shownBefore = await page.getByTestId('original').getAttribute('src');
      const chooserPromise = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Open image…' }).click();
      await (await chooserPromise).setFiles(file);
      // Same file name as the puzzle: wait for the uploaded file itself to be shown.
      await expect(page.getByTestId('original')).not.toHaveAttribute('src', shownBefore!);
      await expect(page.getByTestId('original')).toHaveAttribute('alt', new RegExp(download.suggestedFilename().replace('.', '\\.')));
      await expect(page.getByText('Expected answer')).toHaveCount(0); // a file, not the generated puzzle
      await expect(page.getByRole('textbox', { name: 'Question' })).toHaveValue(question);
      // With room to zoom (WASM), ask a glyph question: the shipped model zooms on those, so the
      // crop check below always has crops to compare.
      const mustZoom = LIMITS[backend].maxTokens >= 64;
      if (mustZoom) await page.getByRole('textbox', { name: 'Question' }).fill('What is written on the red object?');

      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await expect(page.getByTestId('episode')).toHaveAttribute('data-status', /queued|running|done/, { timeout: 30_000 });
      await expect(page.getByTestId('final')).toBeVisible({ timeout: 50_000 });
      await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done');
      // by default the image is read on shifted framings until one answer leads by two, each reading's answer listed,
      // each reading's steps a click away; the first reading's are checked below
      await checkReadingPicker(page, await settledReadings(page));

      const steps = page.getByTestId('step');
      expect(await steps.count()).toBeGreaterThan(0);
      const kinds = await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
      for (const k of kinds) expect(['zoom', 'answer', 'error', 'none']).toContain(k);
      // Every zoom step shows a crop, and every crop is the box's region of the original.
      const zooms = kinds.filter((k) => k === 'zoom').length;
      if (mustZoom) expect(zooms, `steps: ${kinds.join(', ')}`).toBeGreaterThan(0);
      const crops = await checkCrops(page);
      expect(crops.crops).toBe(zooms);
      expect(crops.worst, `crops ${crops.boxes.join(' | ')}`).toBeLessThan(3);
      // every zoom draws its box on the image (error steps draw one only when their box parsed)
      const drawn = await page.getByTestId('overlay-box').filter({ has: page.locator('rect') }).count();
      expect(drawn).toBeGreaterThanOrEqual(zooms);
      expect(drawn).toBeLessThanOrEqual(zooms + kinds.filter((k) => k === 'error').length);
      await expect(page.getByTestId('message').filter({ hasText: 'outlived the run' })).toHaveCount(0);
      // an uploaded file has no known target: no zoom claims to hold it or miss it
      await expect(page.getByTestId('zoom-target')).toHaveCount(0);
      testInfo.annotations.push({ type: 'steps', description: `${kinds.join(', ')} (${zooms} zoom${zooms === 1 ? '' : 's'})` });
      await page.screenshot({ path: testInfo.outputPath(`run-${backend}.png`), fullPage: true });
    });

    test('Stop interrupts a run within a second and the model stays ready', async ({ page }, testInfo) => {
      if (backend === 'webgpu') test.setTimeout(90_000); // two prompt prefills on SwiftShader
      await openApp(page, backend);
      await setLimits(page, { maxTurns: 10, maxTokens: backend === 'webgpu' ? 40 : 256 });
      await newPuzzle(page);
      // press Stop as soon as the first token streams in, and time how long the episode takes to show "stopped"
      const stopped = await runThenStopAt(page, '[data-testid=live]:not([hidden])');
      testInfo.annotations.push({ type: 'stop latency', description: `${stopped.ms.toFixed(0)} ms` });
      expect(stopped.text?.length).toBeGreaterThan(0);
      expect(stopped.status).toBe('stopped');
      // A stop lands between two decoder steps: on WASM a step is ~30 ms. WebGPU here is emulated by
      // SwiftShader on a busy 2-core machine, where one step can take seconds and cannot be cut short.
      expect(stopped.ms).toBeLessThan(backend === 'webgpu' ? 5000 : 1000);
      await expect(page.getByTestId('final')).toContainText(/stopped/);

      // The model is still ready: a short run completes.
      await setLimits(page, { maxTurns: 1, maxTokens: backend === 'webgpu' ? 1 : 8 });
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 45_000 });
    });
  });
}

test('Readings set to Once reads the image a single time, and the choice persists', async ({ page }) => {
  await openApp(page, 'wasm');
  await setLimits(page, LIMITS.wasm);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const readings = page.getByRole('combobox', { name: 'Readings' });
  await expect(readings).toHaveValue('5'); // the default: up to five
  await readings.selectOption({ label: 'Once' });
  await page.getByRole('button', { name: 'Close settings' }).click();
  await newPuzzle(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('final')).toBeVisible({ timeout: 40_000 });
  // one reading: no line listing readings, and nothing said of re-reading
  await expect(page.getByTestId('readings')).toHaveCount(0);
  await expect(page.getByTestId('rereading')).toHaveCount(0);
  await page.reload();
  // a click before the reloaded app is ready can land before its handlers: wait for the model, as openApp does
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('combobox', { name: 'Readings' })).toHaveValue('1');
});

test('Stop while the model re-reads on a shifted framing keeps the answer of the reading done', async ({ page }) => {
  await openApp(page, 'wasm');
  await setLimits(page, LIMITS.wasm);
  await newPuzzle(page);
  // press Stop as soon as the second reading starts
  const result = await runThenStopAt(page, '[data-testid=rereading]');
  expect(result.text).toMatch(/^The first reading answered .+\. Reading again on a shifted framing \(reading 2, at most 5\)/);
  expect(result.status).toBe('stopped');
  const first = /answered (.+)\. Reading again/.exec(result.text!)![1]!;
  if (first !== 'nothing') await expect(page.getByTestId('answer')).toHaveText(first);
});

test('on a generated puzzle each zoom says whether its crop holds the target', async ({ page }) => {
  test.setTimeout(120_000);
  // puzzle seeds come from Math.random in the page: seeded here, the same puzzles every run
  await page.addInitScript(() => {
    let state = 12345;
    Math.random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  });
  await openApp(page, 'wasm');
  await setLimits(page, LIMITS.wasm);
  await page.getByRole('combobox', { name: 'Puzzle difficulty' }).selectOption({ label: 'Hard' });
  const zooms = page.locator('[data-testid=step][data-kind=zoom]');
  for (let attempt = 0; attempt < 8 && (await zooms.count()) === 0; attempt++) {
    await newPuzzle(page);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('final')).toBeVisible({ timeout: 50_000 });
  }
  const n = await zooms.count();
  expect(n, 'no zoom in 8 hard puzzles').toBeGreaterThan(0);
  const chips = page.getByTestId('zoom-target');
  await expect(chips).toHaveCount(n);
  for (const hit of await chips.evaluateAll((els) => els.map((e) => e.getAttribute('data-hit')))) expect(['true', 'false']).toContain(hit);
});
