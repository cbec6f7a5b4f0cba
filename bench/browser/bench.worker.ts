/**
 * The Chromium benchmark's worker: the same backend choice as the app's agent worker
 * (src/worker/backend.ts), the shipped model fetched from /models/default/, then
 *   1. decode: cached (DecodeSession) vs full recompute per token at 64 and 256 tokens of
 *      context; the cached run is repeated on a second session ("warm"), which shows what the
 *      first one spent compiling kernels for new shapes (WebGPU compiles per shape)
 *   2. preparing the global view: reading the original's pixels (with and without a
 *      willReadFrequently context) and patchifying, the work an episode does before decoding
 *   3. episodes: runEpisode on world samples (OffscreenCanvas), first and later episodes
 * The page measures a postMessage round trip to this worker (main.ts) after the result.
 */
import * as tf from '../../src/model/tf';
import { chooseBackend } from '../../src/worker/backend';
import type { BackendPreference } from '../../src/worker/protocol';
import { loadSquintModel } from '../../src/model/load';
import { fetchFileReader } from '../../src/model/weights';
import type { Vlm } from '../../src/model/vlm';
import type { SquintModel } from '../../src/model/squint-model';
import { DEFAULT_EPISODE_OPTIONS, runEpisode } from '../../src/agent/loop';
import { sampleImage } from '../../src/agent/episode-image';
import { generateSample } from '../../src/world/generate';
import { GLYPH_FONT_FAMILY, type Canvas2D, type CreateCanvas } from '../../src/world/canvas';
import { seedDifficulty } from '../../src/world/seeds';

const scope = self as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent) => void) | null; fonts: FontFaceSet };
const log = (message: string) => scope.postMessage({ type: 'log', message });
const createOffscreen: CreateCanvas = (w, h) => new OffscreenCanvas(Math.max(1, Math.round(w)), Math.max(1, Math.round(h))) as unknown as Canvas2D;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.9 * (xs.length - 1)))]!;
const round = (x: number, d = 2) => +x.toFixed(d);

async function recomputeLast(vlm: Vlm, ids: number[]): Promise<void> {
  const logits = tf.tidy(() => {
    const h = vlm.decode(vlm.embedIds(tf.tensor2d(ids, [1, ids.length], 'int32')), 0).hidden;
    return vlm.logits(tf.slice(h, [0, ids.length - 1, 0], [1, 1, -1]) as tf.Tensor3D).reshape([-1]);
  });
  await logits.data();
  logits.dispose();
}

async function cachedRun(model: SquintModel, ids: number[], steps: number): Promise<number> {
  const s = model.newSession();
  await s.appendTokens(ids.slice(0, ids.length - steps));
  const t0 = performance.now();
  for (let i = ids.length - steps; i < ids.length; i++) await s.appendTokens([ids[i]!]);
  const ms = (performance.now() - t0) / steps;
  s.dispose();
  return ms;
}

scope.onmessage = async (e: MessageEvent<{ backend: BackendPreference; quick: boolean; sentAt: number } | { ping: number }>) => {
  if ('ping' in e.data) return void scope.postMessage({ type: 'pong', ping: e.data.ping });
  try {
    const { backend, quick } = e.data as { backend: BackendPreference; quick: boolean };
    const t0 = performance.now();
    const choice = await chooseBackend(backend);
    const backendMs = performance.now() - t0;
    log(`backend ${choice.backend} (${choice.threads} threads) in ${backendMs.toFixed(0)} ms`);
    const t1 = performance.now();
    const model = await loadSquintModel(fetchFileReader(new URL('/models/default/', location.href).href));
    const loadMs = performance.now() - t1;
    const face = new FontFace(GLYPH_FONT_FAMILY, `url(${new URL('/fonts/DejaVuSans-Bold.ttf', location.href).href})`);
    await face.load();
    scope.fonts.add(face);

    // 1. decode
    const steps = choice.backend === 'webgpu' ? (quick ? 4 : 8) : quick ? 8 : 16;
    const decode: object[] = [];
    for (const context of [64, 256]) {
      const ids = Array.from({ length: context }, (_, i) => 20 + ((i * 7919) % (model.config.vocabSize - 20)));
      const cold = await cachedRun(model, ids, steps);
      const warm = await cachedRun(model, ids, steps);
      await recomputeLast(model.vlm, ids); // warm-up at this length
      const full: number[] = [];
      for (let i = 0; i < (quick ? 1 : 2); i++) {
        const t = performance.now();
        await recomputeLast(model.vlm, ids);
        full.push(performance.now() - t);
      }
      const recompute = median(full);
      decode.push({ context, cachedMsPerTokenFirstSession: round(cold), cachedMsPerTokenSecondSession: round(warm), recomputeMsPerToken: round(recompute), speedupWarm: round(recompute / warm), speedupFirst: round(recompute / cold) });
      log(`ctx ${context}: cached ${cold.toFixed(1)} ms/token (first session), ${warm.toFixed(1)} (second), recompute ${recompute.toFixed(1)}`);
    }

    // 2. what an episode does before the first token: read the original's pixels, patchify the view
    const prep: object[] = [];
    for (const willReadFrequently of [false, true]) {
      const times = { render: [] as number[], readPixels: [] as number[], patches: [] as number[] };
      for (let i = 0; i < (quick ? 2 : 4); i++) {
        const sample = generateSample(1_000_000_000 + i, { difficulty: 0.9 });
        const ta = performance.now();
        const canvas = createOffscreen(sample.scene.width, sample.scene.height) as unknown as OffscreenCanvas;
        const ctx = canvas.getContext('2d', { willReadFrequently })!;
        const rendered = sampleImage(sample, createOffscreen).canvas as unknown as OffscreenCanvas;
        ctx.drawImage(rendered, 0, 0);
        const tb = performance.now();
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const tc = performance.now();
        model.patches(pixels);
        const td = performance.now();
        times.render.push(tb - ta), times.readPixels.push(tc - tb), times.patches.push(td - tc);
      }
      prep.push({ willReadFrequently, renderAndDrawMs: round(median(times.render), 1), readPixelsMs: round(median(times.readPixels), 1), patchesMs: round(median(times.patches), 1) });
      log(`prepare (willReadFrequently ${willReadFrequently}): ${JSON.stringify(prep.at(-1))}`);
    }

    // 3. episodes (greedy, max 10 turns), with GPU-backed canvases (the app before the
    // willReadFrequently change) and CPU-backed ones (the app now); the first is reported apart
    const n = choice.backend === 'webgpu' ? (quick ? 2 : 4) : quick ? 3 : 10;
    const episodeRuns: Record<string, object> = {};
    for (const readable of choice.backend === 'webgpu' ? [true] : [false, true]) {
      const make: CreateCanvas = (w, h) => {
        const c = createOffscreen(w, h) as unknown as OffscreenCanvas;
        c.getContext('2d', { willReadFrequently: readable });
        return c as unknown as Canvas2D;
      };
      const episodes: { ms: number; tokens: number; zooms: number; generateMs: number; encodeMs: number; cropMs: number }[] = [];
      for (let i = 0; i < n; i++) {
        const seed = 1_000_000_000 + i;
        const sample = generateSample(seed, { difficulty: seedDifficulty(seed) });
        const image = sampleImage(sample, make);
        const t = await runEpisode(model, image, sample.question, { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 10, maxTokensPerTurn: choice.backend === 'webgpu' ? 48 : 96, seed });
        const sum = (k: 'generateMs' | 'encodeMs' | 'cropMs') => t.steps.reduce((a, s) => a + s.timings[k], 0);
        episodes.push({ ms: round(t.totalMs, 1), tokens: t.steps.reduce((a, s) => a + s.tokens, 0), zooms: t.steps.filter((s) => s.kind === 'zoom').length, generateMs: round(sum('generateMs'), 1), encodeMs: round(sum('encodeMs'), 1), cropMs: round(sum('cropMs'), 1) });
        log(`episode ${i} (willReadFrequently ${readable}): ${t.totalMs.toFixed(0)} ms`);
      }
      const later = episodes.slice(1).map((x) => x.ms);
      const totalTokens = episodes.slice(1).reduce((a, x) => a + x.tokens, 0);
      const totalGen = episodes.slice(1).reduce((a, x) => a + x.generateMs, 0);
      episodeRuns[readable ? 'willReadFrequently' : 'gpuBackedCanvas'] = {
        n, firstMs: episodes[0]!.ms, medianMsAfterFirst: later.length ? median(later) : null, p90MsAfterFirst: later.length ? p90(later) : null,
        generateMsPerTokenAfterFirst: totalTokens ? round(totalGen / totalTokens) : null, all: episodes,
      };
    }
    model.dispose();
    scope.postMessage({
      type: 'result',
      result: {
        backend: choice.backend, threads: choice.threads, notes: choice.notes, backendInitMs: round(backendMs, 1), modelLoadMs: round(loadMs, 1),
        decode,
        prepareGlobalView: prep,
        episodes: episodeRuns,
        tensorsLeft: tf.memory().numTensors,
      },
    });
  } catch (err) {
    scope.postMessage({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
