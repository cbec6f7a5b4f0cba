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
