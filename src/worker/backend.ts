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

interface AdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { readonly architecture?: string; readonly vendor?: string; readonly description?: string };
}

type WebGpuProbe = { readonly ok: true; readonly software: boolean } | { readonly ok: false; readonly why: string };

/** Whether a WebGPU adapter exists, and whether it is a software rasteriser (SwiftShader). */
async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  if (!gpu) return { ok: false, why: 'WebGPU is not available: this browser exposes no navigator.gpu (it needs a secure context and a browser with WebGPU).' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ok: false, why: 'WebGPU is not available: the browser found no GPU adapter.' };
    const info = adapter.info ?? {};
    const software = adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|software/i.test(`${info.architecture ?? ''} ${info.vendor ?? ''} ${info.description ?? ''}`);
    return { ok: true, software };
  } catch (e) {
    return { ok: false, why: `WebGPU is not available: requesting an adapter failed (${errorText(e)}).` };
  }
}

/** Called once when the GPU device of the WebGPU backend in use is lost (driver reset, GPU removed, …). */
export type DeviceLostListener = (message: string) => void;

let deviceLostListener: DeviceLostListener | null = null;

/** Sets who hears about a lost WebGPU device (the engine: it falls back to WASM). */
export function onDeviceLost(listener: DeviceLostListener | null): void {
  deviceLostListener = listener;
}

/** Watches the current WebGPU backend's device; reports its loss unless that backend is no longer in use. */
function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
  const backend = tf.backend();
  void device?.lost?.then((info) => {
    if (tf.getBackend() !== 'webgpu' || tf.backend() !== backend) return; // replaced already
    const why = [info?.reason, info?.message].filter(Boolean).join(': ') || 'no reason given';
    deviceLostListener?.(`The WebGPU device was lost (${why}).`);
  });
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
      const probe = await probeWebGpu();
      if (!probe.ok) { notes.push(probe.why); continue; }
      // A software WebGPU adapter (SwiftShader) is far slower than WASM for this model
      // (measured: ~0.6 s vs ~0.03 s per token), so 'auto' skips it; 'webgpu' still uses it.
      if (probe.software && preference === 'auto') {
        notes.push('WebGPU skipped: the only adapter is a software rasteriser (SwiftShader), much slower than WASM here. Choose WebGPU in the settings to use it anyway.');
        continue;
      }
      if (probe.software) notes.push('WebGPU runs on a software adapter (SwiftShader): expect it to be slow.');
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
      const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      if (!threaded && globalThis.crossOriginIsolated) notes.push('WASM runs single-threaded: this browser offers no WASM threads.');
      else if (threaded && threads <= 1) notes.push(`WASM threads are available, but the pool has ${threads} thread (this device reports ${navigator.hardwareConcurrency} cores).`);
    }
    if (name === 'cpu') notes.push('Using the pure-JavaScript CPU backend: expect it to be slow.');
    if (name === 'webgpu') watchDevice();
    return { backend: name, threads, notes };
  }
  throw new Error(`No tfjs backend could be initialised. ${notes.join(' ')}`);
}
