/**
 * What the agent worker does, as plain async methods that report through `emit`. The worker file
 * only dispatches messages to these. Runs, loads and backend switches are serialised; `stop` is
 * handled at once (the decoder yields a macrotask per step, so the message gets through).
 */
import { loadGlyphFont } from './glyph-font';
import * as tf from '../model/tf';
import { loadSquintModel } from '../model/load';
import { SquintModel } from '../model/squint-model';
import { DecodeSession } from '../model/session';
import { presetConfig, parameterCount } from '../model/config';
import { initWeights } from '../model/init';
import { SquintTokenizer, buildTokenizerJson } from '../model/tokenizer';
import { ModelFileError, fetchFileReader, type LoadProgress } from '../model/weights';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeImage } from '../agent/loop';
import { type Framing, boxInOriginal, majorityAnswer, readOnFramings } from '../agent/framings';
import type { TrajectoryStep } from '../agent/trajectory';
import { type Canvas2D, type CreateCanvas, type RgbaImage } from '../world/canvas';
import type { PixelBox } from '../world/boxes';
import { generateSample } from '../world/generate';
import { renderScene } from '../world/render';
import { openSquintDb } from '../storage/db';
import { memoryFileReader, readCheckpointFiles } from '../storage/checkpoints';
import { chooseBackend, onDeviceLost, type BackendChoice } from './backend';
import { cachingFetch, checkForUpdate, evictModel, openModelCache, pruneShards } from './model-cache';
import {
  type BackendPreference, type BoxTuple, type ModelInfo, type RunSettings, type StepMessage, type WorkerEvent,
  downscaleNotice, sanitizeSettings, sizeVerdict,
} from './protocol';

export type Emit = (event: WorkerEvent, transfer?: Transferable[]) => void;

/** Resolves on the next macrotask (a MessageChannel round trip: no 4 ms timer clamping). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Thrown inside a stopped run by the session, to end it between two decoder steps. */
class RunStopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'RunStopped';
  }
}

/**
 * A decode session that lets queued messages (a stop) run before each decoder step, and ends a
 * stopped run there, even in the middle of the prompt (which runEpisode does not check).
 */
class YieldingSession extends DecodeSession {
  private readonly signal: AbortSignal | null;

  constructor(model: SquintModel['vlm'], signal: AbortSignal | null) {
    super(model);
    this.signal = signal;
  }

  private async beforeStep(): Promise<void> {
    await nextMacrotask();
    if (this.signal?.aborted) throw new RunStopped();
  }

  override async appendTokens(ids: readonly number[]): Promise<Float32Array> {
    await this.beforeStep();
    return super.appendTokens(ids);
  }

  override async appendImage(patches: Float32Array): Promise<Float32Array> {
    await this.beforeStep();
    return super.appendImage(patches);
  }
}

class YieldingModel extends SquintModel {
  /** The signal of the run in progress (sessions created meanwhile watch it). */
  signal: AbortSignal | null = null;

  override newSession(): DecodeSession {
    return new YieldingSession(this.vlm, this.signal);
  }
}

/**
 * Canvases whose pixels are read back (the original, each crop) get a CPU-backed context
 * (willReadFrequently): reading a GPU-backed one costs a slow readback. bench/browser measured
 * reading a ~2048 px original at 900 ms GPU-backed vs 380 ms CPU-backed on this machine.
 */
const readableContext = (canvas: OffscreenCanvas) => canvas.getContext('2d', { willReadFrequently: true })!;

const createOffscreen: CreateCanvas = (w, h) => {
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(w)), Math.max(1, Math.round(h)));
  readableContext(canvas); // the first getContext call fixes the context's options
  return canvas as unknown as Canvas2D;
};

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const tuple = (b: readonly number[] | null): BoxTuple | null => (b ? [b[0]!, b[1]!, b[2]!, b[3]!] : null);

async function rgbaToPng(image: RgbaImage): Promise<Blob> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** A step of a reading on a shifted framing with its boxes in the original's px. */
function stepInOriginal(step: TrajectoryStep, framing: Framing): TrajectoryStep {
  const move = (box: PixelBox | null) => (box ? boxInOriginal(box, framing) : null);
  return { ...step, box: move(step.box), requestedBox: move(step.requestedBox) };
}

/** A trajectory step as the UI receives it (the crop as a PNG). Also used by the training worker's gallery. */
export async function stepMessage(step: TrajectoryStep): Promise<StepMessage> {
  return {
    turn: step.turn,
    kind: step.kind,
    text: step.text,
    thought: step.thought,
    box: tuple(step.box),
    requestedBox: tuple(step.requestedBox),
    crop: step.crop ? { png: await rgbaToPng(step.crop), width: step.crop.width, height: step.crop.height } : null,
    error: step.error,
    answer: step.answer,
    tokens: step.tokens,
    timings: { ...step.timings },
  };
}

interface RunJob {
  readonly runId: number;
  readonly controller: AbortController;
}

export class Engine {
  private readonly emit: Emit;
  private backend: BackendChoice | null = null;
  private model: YieldingModel | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly runs = new Map<number, RunJob>();
  private readonly assetBase: string;

  /** @param assetBase URL the app is served under (fonts are fetched relative to it). */
  constructor(emit: Emit, assetBase: string) {
    this.emit = emit;
    this.assetBase = assetBase;
    onDeviceLost((message) => this.deviceLost(message));
  }

  /** The last model load asked for, repeated after a fallback to another backend. */
  private lastLoad: (() => Promise<void>) | null = null;

  /**
   * The WebGPU device is gone, and the weights with it: the runs in progress are stopped, the
   * backend falls back to WASM and the same model loads again (from the Cache API).
   */
  private deviceLost(message: string): void {
    for (const job of this.runs.values()) job.controller.abort();
    this.emit({ type: 'notice', level: 'warning', message: `${message} Switched to WASM; the model is loading again.` });
    void this.init('wasm').then(() => this.lastLoad && this.serial(this.lastLoad));
  }

  /** Runs `task` after everything queued before it; its failure does not block later tasks. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  init(preference: BackendPreference): Promise<void> {
    return this.serial(async () => {
      try {
        // Weights live on the old backend: drop them (the caller loads again, from the cache).
        this.disposeModel();
        this.backend = await chooseBackend(preference);
        this.emit({ type: 'backend', backend: this.backend.backend, preference, threads: this.backend.threads, notes: this.backend.notes });
      } catch (e) {
        this.emit({ type: 'error', scope: 'backend', message: errorText(e) });
      }
    });
  }

  load(url: string): Promise<void> {
    this.lastLoad = () => this.loadNow(url);
    return this.serial(this.lastLoad);
  }

  loadSaved(id: string): Promise<void> {
    this.lastLoad = () => this.loadSavedNow(id);
    return this.serial(this.lastLoad);
  }

  /** A checkpoint from IndexedDB: the same validation as a served model, no network, no Cache API. */
  private async loadSavedNow(id: string): Promise<void> {
    if (!this.backend) this.backend = await chooseBackend('auto').catch(() => null);
    this.disposeModel();
    const t0 = performance.now();
    try {
      const db = await openSquintDb();
      const { record, files } = await readCheckpointFiles(db, id).finally(() => db.close());
      const loaded = await loadSquintModel(memoryFileReader(files));
      this.model = new YieldingModel(loaded.config, loaded.tokenizer, loaded.vlm.weights);
      const text = (f: string) => (files.has(f) ? new TextDecoder().decode(files.get(f)!) : '');
      let quantization = 'unknown';
      try {
        quantization = String((JSON.parse(text('model.json')) as { quantization: unknown }).quantization);
      } catch {
        // informational only
      }
      const info: ModelInfo = {
        url: `indexeddb:${record.name}`, preset: loaded.config.preset, parameters: parameterCount(loaded.config), imageSize: loaded.config.imageSize,
        maxSeq: loaded.config.maxSeq, quantization, bytes: record.bytes, card: text('README.md'),
      };
      this.emit({ type: 'loaded', model: info, fromCache: true, ms: performance.now() - t0 });
      void this.serial(() => this.warmUp());
    } catch (e) {
      const fileError = e instanceof ModelFileError ? e : null;
      this.emit({
        type: 'error', scope: 'load',
        message: fileError ? `The saved checkpoint could not be loaded: ${fileError.file} — ${fileError.fault}: ${fileError.message}` : `The saved checkpoint could not be loaded: ${errorText(e)}`,
        ...(fileError ? { file: fileError.file, fault: fileError.fault } : {}),
      });
    }
  }

  private disposeModel(): void {
    this.model?.dispose();
    this.model = null;
  }

  private async loadNow(url: string): Promise<void> {
    if (!this.backend) this.backend = await chooseBackend('auto').catch(() => null);
    this.disposeModel();
    const base = new URL(url.endsWith('/') ? url : `${url}/`, globalThis.location?.href).href;
    const cache = await openModelCache();
    const t0 = performance.now();

    const attempt = async () => {
      const cf = cachingFetch(cache);
      let overall = { loadedBytes: 0, totalBytes: 0 };
      let lastEmit = 0;
      const onFile = (p: LoadProgress) => {
        const t = performance.now();
        const complete = p.loadedBytes >= p.totalBytes;
        if (!complete && t - lastEmit < 50) return;
        lastEmit = t;
        this.emit({
          type: 'progress', file: p.file, fileLoadedBytes: p.loadedBytes, fileTotalBytes: p.totalBytes,
          loadedBytes: overall.loadedBytes, totalBytes: overall.totalBytes, source: cf.sources.get(p.file) ?? 'network',
        });
      };
      const read = fetchFileReader(base, onFile, { fetch: cf.fetch });
      const loaded = await loadSquintModel(read, (p) => (overall = { loadedBytes: p.loadedBytes, totalBytes: p.totalBytes }));
      return { loaded, cf, bytes: overall.totalBytes };
    };

    let result: Awaited<ReturnType<typeof attempt>>;
    try {
      try {
        result = await attempt();
      } catch (e) {
        // A bad cached copy: drop it and fetch again. A bad network copy: the server may have been
        // replacing the checkpoint mid-download; one more try after a moment.
        if (!(e instanceof ModelFileError)) throw e;
        await evictModel(cache, base);
        this.emit({ type: 'notice', level: 'warning', message: `Model load failed (${e.message}); trying once more from the server.` });
        await new Promise((r) => setTimeout(r, 1000));
        result = await attempt();
      }
    } catch (e) {
      const fileError = e instanceof ModelFileError ? e : null;
      this.emit({
        type: 'error', scope: 'load',
        message: fileError ? `The model could not be loaded: ${fileError.file} — ${fileError.fault}: ${fileError.message}` : `The model could not be loaded: ${errorText(e)}`,
        ...(fileError ? { file: fileError.file, fault: fileError.fault } : {}),
      });
      return;
    }

    const { loaded, cf, bytes } = result;
    this.model = new YieldingModel(loaded.config, loaded.tokenizer, loaded.vlm.weights);
    let card = '';
    try {
      const res = await cf.fetch(`${base}README.md`);
      if (res.ok) card = await res.text();
    } catch {
      // the card is optional
    }
    await cf.commit();
    const fromCache = [...cf.sources.values()].every((s) => s === 'cache');
    const manifest = cf.manifestBytes();
    let quantization = 'unknown';
    try {
      quantization = String((JSON.parse(new TextDecoder().decode(manifest!)) as { quantization: unknown }).quantization);
    } catch {
      // informational only
    }
    const info: ModelInfo = {
      url: base, preset: loaded.config.preset, parameters: parameterCount(loaded.config), imageSize: loaded.config.imageSize,
      maxSeq: loaded.config.maxSeq, quantization, bytes, card,
    };
    this.emit({ type: 'loaded', model: info, fromCache, ms: performance.now() - t0 });
    // Queued behind this load, ahead of any run: compile the kernels of a prompt while the person
    // picks an image (on WebGPU the first pass compiles shaders: seconds; on WASM ~0.1 s).
    void this.serial(() => this.warmUp());
    await pruneShards(cache, base, manifest).catch(() => undefined);
    if (fromCache) {
      void checkForUpdate(cache, base, manifest).then((newer) => {
        if (newer) this.emit({ type: 'notice', level: 'info', message: 'A newer model is on the server. Reload the model to use it.' });
      });
    }
  }

  private async warmUp(): Promise<void> {
    const model = this.model;
    if (!model) return;
    const session = model.newSession();
    try {
      const tok = model.tokenizer;
      const [P, D] = model.patchShape;
      await session.appendTokens(tok.encode('<bos><user>'));
      await session.appendImage(new Float32Array(P * D));
      await session.appendTokens(tok.encode('What is it?<assistant>'));
      await session.appendTokens([tok.special('<think>')]);
    } catch {
      // best effort: a real run reports real errors
    } finally {
      session.dispose();
    }
  }

  run(runId: number, image: ImageBitmap, question: string, settings: RunSettings): Promise<void> {
    const job: RunJob = { runId, controller: new AbortController() };
    this.runs.set(runId, job);
    return this.serial(() => this.runNow(job, image, question, sanitizeSettings(settings))).finally(() => this.runs.delete(runId));
  }

  stop(runId: number): void {
    this.runs.get(runId)?.controller.abort();
  }

  private async runNow(job: RunJob, image: ImageBitmap, question: string, settings: RunSettings): Promise<void> {
    const { runId, controller } = job;
    const started = performance.now();
    let tokens = 0;
    let tensorsBefore = -1;
    const finished: (string | null)[] = []; // each finished reading's answer
    // Tokens and steps leave in order, even though a step's crop is encoded to PNG asynchronously.
    let chain: Promise<void> = Promise.resolve();
    const ordered = (f: () => Promise<void> | void) => (chain = chain.then(f).catch((e) => this.emit({ type: 'error', scope: 'run', runId, message: errorText(e) })));
    try {
      if (controller.signal.aborted) {
        image.close();
        this.emit({ type: 'done', runId, endReason: 'stopped', totalMs: 0, formatValid: false, tokens: 0 });
        return;
      }
      const model = this.model;
      if (!model) {
        image.close();
        this.emit({ type: 'error', scope: 'run', runId, message: 'The model is not loaded yet.' });
        this.emit({ type: 'done', runId, endReason: 'error', totalMs: 0, formatValid: false, tokens: 0 });
        return;
      }
      const canvas = this.drawOriginal(image);
      model.signal = controller.signal;
      tensorsBefore = tf.memory().numTensors;
      this.emit({ type: 'started', runId, width: canvas.width, height: canvas.height });
      const episodeImage: EpisodeImage = { size: { width: canvas.width, height: canvas.height }, canvas, createCanvas: createOffscreen };
      // the first reading streams its tokens and steps; with several framings the others follow unseen
      const read = await readOnFramings(model, episodeImage, question, {
        ...DEFAULT_EPISODE_OPTIONS,
        maxTurns: settings.maxTurns,
        maxTokensPerTurn: settings.maxTokensPerTurn,
        toolEnabled: settings.toolEnabled,
        sampling: { temperature: settings.temperature, topP: settings.topP },
        seed: settings.seed,
        signal: controller.signal,
      }, {
        count: settings.framings,
        onReading: (index, reading, framing) => {
          finished.push(reading.answer);
          if (settings.framings === 1) return;
          // a later reading's steps were not streamed: they come with it, its boxes moved onto the original
          const steps = index === 0 ? undefined : Promise.all(reading.steps.map((step) => stepMessage(stepInOriginal(step, framing))));
          ordered(async () => this.emit({ type: 'reading', runId, index, count: settings.framings, answer: reading.answer, ...(steps ? { steps: await steps } : {}) }));
        },
      }, {
        onToken: (turn, piece) => {
          tokens++;
          ordered(() => this.emit({ type: 'token', runId, turn, piece }));
        },
        onStep: (step) => {
          const message = stepMessage(step);
          ordered(async () => this.emit({ type: 'step', runId, step: await message }));
        },
      });
      await chain;
      const first = read.readings[0];
      if (read.answer !== null) this.emit({ type: 'answer', runId, answer: read.answer, reading: read.chosen });
      this.emit({ type: 'done', runId, endReason: first.endReason, totalMs: read.totalMs, formatValid: first.formatValid, tokens });
    } catch (e) {
      await chain;
      if (e instanceof RunStopped) {
        // stopped while re-reading: the readings already finished still give an answer
        const majority = majorityAnswer(finished);
        if (majority) this.emit({ type: 'answer', runId, answer: finished[majority.index]!, reading: majority.index });
        this.emit({ type: 'done', runId, endReason: 'stopped', totalMs: performance.now() - started, formatValid: false, tokens });
        return;
      }
      this.emit({ type: 'error', scope: 'run', runId, message: `The run failed: ${errorText(e)}` });
      this.emit({ type: 'done', runId, endReason: 'error', totalMs: performance.now() - started, formatValid: false, tokens });
    } finally {
      if (this.model) this.model.signal = null;
      // Every tensor of a run is disposed by its owner; report any that outlive it.
      const leaked = tensorsBefore < 0 ? 0 : tf.memory().numTensors - tensorsBefore;
      if (leaked > 0) this.emit({ type: 'notice', level: 'warning', message: `Memory: ${leaked} tensors outlived the run (a leak).` });
    }
  }

  /** The original at full resolution on an OffscreenCanvas, within the size limit. */
  private drawOriginal(image: ImageBitmap): OffscreenCanvas & Canvas2D {
    const verdict = sizeVerdict(image.width, image.height);
    if (verdict.kind === 'refuse') {
      image.close();
      throw new Error(verdict.reason);
    }
    if (verdict.kind === 'downscale') this.emit({ type: 'notice', level: 'warning', message: downscaleNotice(verdict) });
    const canvas = new OffscreenCanvas(verdict.width, verdict.height);
    const ctx = readableContext(canvas); // every episode reads all of its pixels
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image, 0, 0, verdict.width, verdict.height);
    image.close();
    return canvas as OffscreenCanvas & Canvas2D;
  }

  async newPuzzle(requestId: number, seed: number, difficulty: number): Promise<void> {
    try {
      await this.loadFont();
      const d = Number.isFinite(difficulty) ? Math.min(1, Math.max(0, difficulty)) : 0.5;
      const sample = generateSample(seed, { difficulty: d });
      const canvas = renderScene(sample.scene, createOffscreen) as unknown as OffscreenCanvas;
      const png = await canvas.convertToBlob({ type: 'image/png' });
      this.emit({
        type: 'puzzle', requestId, png, width: canvas.width, height: canvas.height,
        info: {
          seed, difficulty: d, question: sample.question, answer: sample.answer, family: sample.family,
          resolvable: sample.resolvable, targets: sample.targets.map((b) => tuple(b)!),
        },
      });
    } catch (e) {
      this.emit({ type: 'error', scope: 'puzzle', requestId, message: `The puzzle could not be generated: ${errorText(e)}` });
    }
  }

  private loadFont(): Promise<void> {
    return loadGlyphFont(this.assetBase);
  }

  /** One forward pass of a tiny random model: proves the backend computes, and how fast. */
  selfTest(requestId: number): Promise<void> {
    return this.serial(async () => {
      try {
        if (!this.backend) {
          this.backend = await chooseBackend('auto');
          this.emit({ type: 'backend', backend: this.backend.backend, preference: 'auto', threads: this.backend.threads, notes: this.backend.notes });
        }
        const tokenizer = new SquintTokenizer(buildTokenizerJson(['What is written on the red object?', 'I will zoom in on it.', '0,1,2,3,42,100']));
        const config = presetConfig('tiny', tokenizer.vocabSize);
        const model = new SquintModel(config, tokenizer, initWeights(config, 7));
        const t0 = performance.now();
        const session = model.newSession();
        let logits: Float32Array;
        try {
          const [P, D] = model.patchShape;
          await session.appendImage(Float32Array.from({ length: P * D }, (_, i) => Math.sin(i * 0.37)));
          logits = await session.appendTokens(tokenizer.encode('<bos><user>What is written on the red object?<assistant>'));
        } finally {
          session.dispose();
          model.dispose();
        }
        const ms = performance.now() - t0;
        this.emit({ type: 'selfTest', requestId, backend: tf.getBackend() as BackendChoice['backend'], finite: logits.every(Number.isFinite), logits: logits.length, ms });
      } catch (e) {
        this.emit({ type: 'error', scope: 'selfTest', requestId, message: `Self-test failed: ${errorText(e)}` });
      }
    });
  }
}
