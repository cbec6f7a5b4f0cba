import { expect, test } from '@playwright/test';

test('WebGPU is selected inside a module worker and runs a forward pass', async ({ page }) => {
  await page.goto('/?backend=webgpu');
  const hasAdapter = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return !!(gpu && (await gpu.requestAdapter()));
  });
  expect(hasAdapter, 'navigator.gpu.requestAdapter() returns an adapter').toBe(true);
  await page.getByRole('button', { name: 'Self-test' }).click();
  await expect(page.getByTestId('self-test')).toHaveText('webgpu true', { timeout: 45_000 });
});
