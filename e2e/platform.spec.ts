import { expect, test } from '@playwright/test';

test('WebGPU is selected inside a module worker and runs a forward pass of a random-weight model', async ({ page }) => {
  await page.goto('/?backend=webgpu');
  const hasAdapter = await page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return !!(gpu && (await gpu.requestAdapter()));
  });
  expect(hasAdapter, 'navigator.gpu.requestAdapter() returns an adapter').toBe(true);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Run backend self-test' }).click();
  // The worker reports the backend it computed on and whether every logit is finite.
  await expect(page.getByTestId('self-test')).toHaveText(/^webgpu: one forward pass in \d+ ms, \d+ logits, all finite$/, { timeout: 45_000 });
});

test('a crashed agent worker is restarted, the page says so, and the model runs again', async ({ page }) => {
  const { openApp, newPuzzle, setLimits } = await import('./fixtures');
  await openApp(page, 'wasm');
  await newPuzzle(page);
  const agent = page.workers().find((w) => /agent/.test(w.url()));
  expect(agent, 'the agent worker is visible to Playwright').toBeTruthy();
  // an uncaught error inside the worker (what a bug or a failed allocation there looks like)
  await agent!.evaluate(() => void setTimeout(() => { throw new Error('simulated crash'); }));
  const messages = page.getByTestId('message');
  await expect(messages.filter({ hasText: 'The agent worker failed: ' })).toBeVisible();
  await expect(messages.filter({ hasText: 'The agent worker crashed and was restarted; the model is loading again.' })).toBeVisible();
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await expect.poll(() => page.workers().filter((w) => /agent/.test(w.url())).length).toBe(1);
  await setLimits(page, { maxTurns: 1, maxTokens: 8 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
});

test('a lost WebGPU device (simulated: destroyed) falls back to WASM with a message, and the model runs again', async ({ page }) => {
  test.setTimeout(120_000);
  const { newPuzzle } = await import('./fixtures');
  await page.goto('/?backend=webgpu');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu', { timeout: 30_000 });
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 45_000 });
  await newPuzzle(page);
  const agent = page.workers().find((w) => /agent/.test(w.url()))!;
  // tfjs keeps its engine on the global object; its WebGPU backend holds the GPUDevice
  const destroyed = await agent.evaluate(() => {
    const engine = (self as unknown as { _tfengine?: { backendName: string; backendInstance: { device?: { destroy(): void } } } })._tfengine;
    if (engine?.backendName !== 'webgpu' || !engine.backendInstance.device) return false;
    engine.backendInstance.device.destroy();
    return true;
  });
  expect(destroyed, 'the worker ran on a WebGPU device').toBe(true);
  await expect(page.getByTestId('message').filter({ hasText: /The WebGPU device was lost \(destroyed.*Switched to WASM; the model is loading again\./ })).toBeVisible();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 30_000 });
  await expect(page.getByTestId('backend')).toHaveClass(/ready/, { timeout: 30_000 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('episode')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
});
