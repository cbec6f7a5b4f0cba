/** Page side of the Chromium benchmark: runs bench.worker.ts with ?backend=…, exposes the result. */
const params = new URLSearchParams(location.search);
const log = document.getElementById('log')!;
const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: 'squint-bench' });
const w = window as unknown as { __benchResult?: Record<string, unknown>; __benchError?: string };
let pong: ((t: number) => void) | null = null;

/** Median round trip of a small postMessage to the worker and back (what every token event costs one way, twice). */
async function messagingRoundTrip(n = 200): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<number>((resolve) => ((pong = resolve), worker.postMessage({ ping: t0 })));
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

worker.onmessage = async (e: MessageEvent) => {
  if (e.data.type === 'pong') return pong?.(e.data.ping);
  if (e.data.type === 'log') log.textContent += `\n${e.data.message}`;
  if (e.data.type === 'result') w.__benchResult = { ...e.data.result, messagingRoundTripMs: +(await messagingRoundTrip()).toFixed(3) };
  if (e.data.type === 'error') w.__benchError = e.data.message;
};
worker.onerror = (e) => void (w.__benchError = e.message || 'worker failed');
worker.postMessage({ backend: params.get('backend') ?? 'wasm', quick: params.has('quick'), sentAt: performance.now() });
