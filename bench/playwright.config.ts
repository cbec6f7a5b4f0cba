/**
 * The Chromium benchmark (not part of `npm test`): `npm run bench:browser`. Starts the Vite dev
 * server (which serves /models and sends COOP/COEP) for bench/browser/, and `vite preview` of the
 * build (port + 1) for the app's own load times.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const executablePath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const port = Number(process.env.SQUINT_BENCH_PORT ?? 5199);

export default defineConfig({
  testDir: '.',
  testMatch: 'browser.bench.ts',
  outputDir: '/tmp/squint-bench-results',
  workers: 1,
  timeout: 15 * 60_000,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${port}`,
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'],
    },
  },
  webServer: [
    {
      command: `npx vite --port ${port} --strictPort`,
      cwd: '..',
      url: `http://localhost:${port}/bench/browser/index.html`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // the built app (npm run bench:browser builds first), for the app's cold and cached load
      command: `npx vite preview --port ${port + 1} --strictPort`,
      cwd: '..',
      url: `http://localhost:${port + 1}`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
