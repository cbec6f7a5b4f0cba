/** The playground as a tool: compare mode, model card, large text, keyboard. */
import { expect, newPuzzle, openApp, setLimits, test } from './fixtures';

test('compare mode runs the question with and without the tool, side by side', async ({ page }, testInfo) => {
  await openApp(page, 'wasm');
  await setLimits(page, { maxTurns: 3, maxTokens: 64, compare: true });
  await newPuzzle(page);
  await page.getByRole('button', { name: 'Run both' }).click();
  const episodes = page.getByTestId('episode');
  await expect(episodes).toHaveCount(2);
  await expect(page.getByRole('article', { name: 'With the zoom tool' })).toBeVisible();
  const noTool = page.getByRole('article', { name: 'Without the tool' });
  await expect(noTool).toBeVisible();
  await expect(episodes.nth(0)).toHaveAttribute('data-status', 'done', { timeout: 40_000 });
  await expect(episodes.nth(1)).toHaveAttribute('data-status', 'done', { timeout: 40_000 });
  // Without the tool the model cannot zoom: the tool-call token is masked out.
  await expect(noTool.locator('[data-testid=step][data-kind=zoom]')).toHaveCount(0);
  await expect(noTool.getByTestId('crop')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('compare.png') });
});

test('the model card says where the model comes from and that photos will fail; large text scales the page', async ({ page }, testInfo) => {
  await openApp(page, 'wasm');
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  const card = page.getByRole('complementary', { name: 'About the model' });
  await expect(card).toContainText('procedural world');
  await expect(card).toContainText('on real photos it will be wrong');
  await expect(card.getByTestId('backend-detail')).toContainText(/WebAssembly, \d+ threads?/);
  await expect(card).toContainText(/[\d.]+M parameters/);
  await expect(card.getByRole('heading', { name: 'Model card' })).toBeVisible();

  const before = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  await page.getByRole('button', { name: 'Large text' }).click();
  await expect(page.getByRole('button', { name: 'Large text' })).toHaveAttribute('aria-pressed', 'true');
  const after = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  expect(after).toBeGreaterThan(before * 1.2);
  await page.setViewportSize({ width: 1280, height: 720 }); // a projector
  await page.screenshot({ path: testInfo.outputPath('large-text-projector.png') });
  // The setting persists across reloads.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Large text' })).toHaveAttribute('aria-pressed', 'true');
});

test('keyboard: the whole flow works without a mouse', async ({ page }) => {
  await openApp(page, 'wasm');
  await setLimits(page, { maxTurns: 2, maxTokens: 32 });
  await page.getByRole('button', { name: 'New puzzle' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('original')).toBeVisible({ timeout: 20_000 });
  await page.getByRole('textbox', { name: 'Question' }).focus();
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('final')).toBeVisible({ timeout: 30_000 });
  // Steps are focusable; the replay group answers to the arrow keys.
  await page.getByTestId('step').first().focus();
  await expect(page.getByTestId('step').first()).toBeFocused();
  await page.getByRole('button', { name: 'First step' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('replay-position')).toHaveText(/^Step 0 of \d+$/);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('replay-position')).toHaveText(/^Step 1 of \d+$|^The whole run/);
  await page.keyboard.press('End');
  await expect(page.getByTestId('replay-position')).toHaveText(/^The whole run/);
});

test('automatic backend choice explains itself, and switching backends in the settings reloads the model', async ({ page }) => {
  await page.goto('/');
  const badge = page.getByTestId('backend');
  await expect(badge).toHaveClass(/ready/, { timeout: 30_000 });
  const chosen = await badge.getAttribute('data-backend');
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  const notes = page.getByRole('complementary', { name: 'About the model' }).locator('.notes');
  if (chosen === 'wasm') await expect(notes).toContainText(/WebGPU (skipped|is not available)/);
  await page.getByRole('button', { name: 'Close about the model' }).click();

  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Backend').selectOption('cpu');
  await expect(badge).toHaveAttribute('data-backend', 'cpu', { timeout: 30_000 });
  await expect(badge).toHaveClass(/ready/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Run backend self-test' }).click();
  await expect(page.getByTestId('self-test')).toHaveText(/^cpu: one forward pass in \d+ ms, \d+ logits, all finite$/, { timeout: 30_000 });
  // The choice persists.
  await page.reload();
  await expect(badge).toHaveAttribute('data-backend', 'cpu', { timeout: 30_000 });
});
