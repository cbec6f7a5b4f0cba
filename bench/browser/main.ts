/** Page side of the Chromium benchmark: runs bench.worker.ts with ?backend=…, exposes the result. */
const params = new URLSearchParams(location.search);
const log = document.getElementById('log')!;
const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: 'squint-bench' });
const w = window as unknown as { __benchResult?: unknown; __benchError?: string };
worker.onmessage = (e: MessageEvent) => {
  if (e.data.type === 'log') log.textContent += `\n${e.data.message}`;
  if (e.data.type === 'result') w.__benchResult = e.data.result;
  if (e.data.type === 'error') w.__benchError = e.data.message;
};
worker.onerror = (e) => void (w.__benchError = e.message || 'worker failed');
// messaging round trip, measured here (the app's worker protocol costs the same postMessage)
worker.postMessage({ backend: params.get('backend') ?? 'wasm', quick: params.has('quick'), sentAt: performance.now() });
