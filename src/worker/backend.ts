/**
 * Backend choice inside the worker: WebGPU, else WASM (multithreaded when the page is
 * cross-origin isolated), else the pure-JS CPU backend. Returns what was chosen and, for each
 * faster backend that was not, why.
 */
import * as tf from '../model/tf';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName, BackendPreference } from './protocol';

// Same-origin URLs of the bundled .wasm files (Vite emits them as assets).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

export interface BackendChoice {
  readonly backend: BackendName;
  /** WASM threads in use (1 = single-threaded; 0 for other backends). */
  readonly threads: number;
  /** Why a faster backend is not in use, and anything else worth knowing. */
  readonly notes: string[];
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Why WebGPU cannot be used here, or null when an adapter is available. */
async function webgpuUnavailable(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'WebGPU is not available: this browser exposes no navigator.gpu (it needs a secure context and a browser with WebGPU).';
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'WebGPU is not available: the browser found no GPU adapter.';
  } catch (e) {
    return `WebGPU is not available: requesting an adapter failed (${errorText(e)}).`;
  }
  return null;
}

async function trySetBackend(name: BackendName): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `the ${name} backend failed to initialise`;
    await tf.ready();
    return null;
  } catch (e) {
    return `the ${name} backend failed to initialise (${errorText(e)})`;
  }
}

/**
 * Selects a backend by preference ('auto': the fastest that works). A named preference that
 * fails falls back like 'auto', with a note.
 * @throws only when no backend at all can be initialised.
 */
export async function chooseBackend(preference: BackendPreference): Promise<BackendChoice> {
  const notes: string[] = [];
  const order: BackendName[] = preference === 'auto' || preference === 'webgpu' ? ['webgpu', 'wasm', 'cpu'] : preference === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  if (preference === 'wasm') notes.push('WebGPU not tried: WASM was requested in the settings.');
  if (preference === 'cpu') notes.push('WebGPU and WASM not tried: the CPU backend was requested in the settings.');

  for (const name of order) {
    if (name === 'webgpu') {
      const why = await webgpuUnavailable();
      if (why) { notes.push(why); continue; }
    }
    if (name === 'wasm') {
      if (!globalThis.crossOriginIsolated) {
        notes.push('WASM runs single-threaded: the page is not cross-origin isolated (no SharedArrayBuffer).');
      }
    }
    const failed = await trySetBackend(name);
    if (failed) {
      notes.push(`${name === 'webgpu' ? 'WebGPU' : name.toUpperCase()} unavailable: ${failed}.`);
      continue;
    }
    let threads = 0;
    if (name === 'wasm') {
      threads = getThreadsCount();
      if (threads <= 1 && globalThis.crossOriginIsolated) notes.push('WASM runs single-threaded: this browser offers no WASM threads.');
    }
    if (name === 'cpu') notes.push('Using the pure-JavaScript CPU backend: expect it to be slow.');
    return { backend: name, threads, notes };
  }
  throw new Error(`No tfjs backend could be initialised. ${notes.join(' ')}`);
}
