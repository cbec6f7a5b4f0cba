/**
 * What the buttons do: the app's operations over the worker client and the store. Components
 * call these; nothing here renders.
 */
import { cropImage } from '../agent/crop';
import { pixelBox } from '../world/boxes';
import type { Canvas2D, CreateCanvas } from '../world/canvas';
import { AgentClient } from '../worker/client';
import { type BackendPreference, type PuzzleInfo, isBackendPreference } from '../worker/protocol';
import { applyEvent } from './bridge';
import { ImageInputError, loadImageFile } from './image-input';
import type { ModelSource } from '../storage/runs';
import type { RolloutView } from '../worker/train-protocol';
import { type EpisodeView, type ImageState, type StepView, stepView, store } from './store';
import { tokens } from './tokens';
import {
  MAX_TRACE_BYTES, type SquintTrace, type TraceCrop, type TraceEpisode, type TraceStep, TraceImportError, conversationSteps,
  parseTraceText, traceToHtml,
} from './trace';

export const MODEL_URL = `${import.meta.env.BASE_URL}models/default/`;

/** Loads the playground's chosen model: a served directory, or a checkpoint Train mode saved. */
function loadChosenModel(c: AgentClient): void {
  const m = store.getState().playgroundModel;
  if (m.kind === 'saved') c.loadSaved(m.id);
  else c.load(m.url);
}

/** Switches the playground to another model (the model picker, Train mode's "Use in playground"). */
export function useModel(source: ModelSource): void {
  const s = store.getState();
  s.setPlaygroundModel(source);
  if (!client) return startEngine();
  stop();
  s.startLoading();
  loadChosenModel(client);
}

let client: AgentClient | null = null;
/** The original as decoded (within the size limit); each run gets a copy, transferred. */
let original: ImageBitmap | null = null;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The backend named in the page URL (?backend=wasm), which overrides the saved setting for this visit. */
export function urlBackend(): BackendPreference | null {
  const v = new URLSearchParams(globalThis.location?.search ?? '').get('backend');
  return isBackendPreference(v) ? v : null;
}

/** Starts the worker, picks the backend and loads the model. Idempotent. */
export function startEngine(): void {
  if (client) return;
  client = new AgentClient();
  client.on((e) => applyEvent(store, tokens, e));
  client.onRestart(() => store.getState().startLoading()); // a crashed worker was replaced: the model reloads
  const s = store.getState();
  client.init(urlBackend() ?? s.settings.backend);
  s.startLoading();
  loadChosenModel(client);
}

export function reloadModel(): void {
  if (!client) return startEngine();
  store.getState().startLoading();
  loadChosenModel(client);
}

export function setBackendPreference(backend: BackendPreference): void {
  const s = store.getState();
  s.updateSettings({ backend });
  if (!client) return;
  stop();
  s.startLoading();
  client.init(backend);
  loadChosenModel(client);
}

export async function selfTest(): Promise<string> {
  if (!client) startEngine();
  const r = await client!.selfTest();
  return `${r.backend}: one forward pass in ${r.ms.toFixed(0)} ms, ${r.logits} logits, ${r.finite ? 'all finite' : 'NOT finite'}`;
}

// ---------------------------------------------------------------------------------------------
// Images

function useImage(bitmap: ImageBitmap, image: ImageState, puzzle: PuzzleInfo | null = null): void {
  stop(); // runs on the previous image would no longer match what is shown
  original?.close();
  original = bitmap;
  store.getState().setImage(image, puzzle);
}

/** Opens a chosen, dropped or pasted file. Refusals become a message; the current image stays. */
export async function openImage(file: File | Blob, source: ImageState['source']): Promise<boolean> {
  const s = store.getState();
  const name = (file as File).name || (source === 'paste' ? 'pasted image' : 'image');
  try {
    const loaded = await loadImageFile(file as File);
    useImage(loaded.bitmap, {
      url: URL.createObjectURL(file), width: loaded.width, height: loaded.height, name, source, blob: file, downscaled: loaded.notice !== null,
    });
    if (loaded.notice) s.notify('warning', loaded.notice);
    return true;
  } catch (e) {
    s.notify('error', e instanceof ImageInputError ? e.message : `The image could not be opened: ${errorText(e)}`);
    return false;
  }
}

/** A random seed in the world generator's range. */
const randomSeed = () => 1 + Math.floor(Math.random() * 999_999);

export async function newPuzzle(): Promise<void> {
  if (!client) startEngine();
  const s = store.getState();
  if (s.puzzleBusy) return;
  s.setPuzzleBusy(true);
  try {
    const p = await client!.newPuzzle(randomSeed(), s.settings.difficulty);
    const bitmap = await createImageBitmap(p.png);
    stop();
    useImage(bitmap, {
      url: URL.createObjectURL(p.png), width: p.width, height: p.height, name: `squint-puzzle-${p.info.seed}.png`, source: 'puzzle', blob: p.png, downscaled: false,
    }, p.info);
    store.getState().setQuestion(p.info.question);
  } catch (e) {
    s.notify('error', errorText(e));
  } finally {
    store.getState().setPuzzleBusy(false);
  }
}

export function saveImage(): void {
  const image = store.getState().image;
  if (image) download(image.blob, image.name.replace(/\.[a-z0-9]+$/i, '') + extensionOf(image.blob));
}

const extensionOf = (b: Blob) => ({ 'image/png': '.png', 'image/jpeg': '.jpg', 'image/webp': '.webp', 'image/gif': '.gif', 'image/bmp': '.bmp' })[b.type] ?? '.png';

// ---------------------------------------------------------------------------------------------
// Runs

const LABEL_TOOL = 'With the zoom tool';
const LABEL_NO_TOOL = 'Without the tool';

/** Runs the question on the image (twice, with and without the tool, in compare mode). */
export async function run(): Promise<void> {
  const s = store.getState();
  if (!client) startEngine();
  if (!s.image || !original) return void s.notify('warning', 'Choose an image first (or press New puzzle).');
  if (s.modelStatus !== 'ready') return void s.notify('warning', s.modelStatus === 'error' ? 'The model failed to load; reload it first.' : 'The model is still loading.');
  const question = s.question.trim();
  if (!question) return void s.notify('warning', 'Type a question first.');
  stop();
  const { settings } = s;
  const lanes = settings.compare ? [true, false] : [settings.toolEnabled];
  // Copies first; then send and record synchronously, so no event can arrive before its episode.
  const copies = await Promise.all(lanes.map(() => createImageBitmap(original!)));
  for (const e of store.getState().episodes) if (e.runId !== null) tokens.clear(e.runId);
  const episodes: EpisodeView[] = lanes.map((toolEnabled, i) => {
    const runId = client!.run(copies[i]!, question, {
      temperature: settings.temperature, topP: settings.topP, maxTurns: settings.maxTurns, maxTokensPerTurn: settings.maxTokensPerTurn,
      toolEnabled, seed: settings.seed, framings: settings.framings,
    });
    return {
      id: `run-${runId}`, runId, label: toolEnabled ? LABEL_TOOL : LABEL_NO_TOOL, toolEnabled, question, status: 'queued', steps: [],
      answer: null, endReason: null, totalMs: 0, tokens: 0, error: null, imported: false, readings: [], readingSteps: [], shownReading: 0, framings: settings.framings,
    };
  });
  store.getState().setEpisodes(episodes);
}

/** Stops every queued or running episode. */
export function stop(): void {
  for (const e of store.getState().episodes) {
    if (e.runId !== null && (e.status === 'queued' || e.status === 'running')) client?.stop(e.runId);
  }
}

// ---------------------------------------------------------------------------------------------
// Traces

function blobToDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('could not read the image'));
    r.readAsDataURL(blob);
  });
}

/** Decodes a base64 data URL locally (no fetch: nothing leaves the page, not even a data: request). */
function dataUrlToBlob(url: string): Blob {
  const comma = url.indexOf(',');
  const type = url.slice(5, url.indexOf(';'));
  const bin = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

async function originalForExport(image: ImageState): Promise<TraceCrop> {
  let blob = image.blob;
  if (image.downscaled && original) {
    // Boxes refer to the downscaled pixels: embed those.
    const c = new OffscreenCanvas(original.width, original.height);
    c.getContext('2d')!.drawImage(original, 0, 0);
    blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
  }
  return { dataUrl: await blobToDataUrl(blob), width: image.width, height: image.height };
}

async function traceStep(s: StepView): Promise<TraceStep> {
  return {
    turn: s.turn, kind: s.kind, text: s.text, thought: s.thought, box: s.box, requestedBox: s.requestedBox, error: s.error, answer: s.answer,
    tokens: s.tokens, ...(s.timings ? { timings: s.timings } : {}),
    crop: s.crop ? { dataUrl: await blobToDataUrl(s.crop.blob), width: s.crop.width, height: s.crop.height } : null,
  };
}

export async function buildTrace(): Promise<SquintTrace | null> {
  const s = store.getState();
  const done = s.episodes.filter((e) => e.status !== 'queued');
  if (done.length === 0) return null;
  const episodes: TraceEpisode[] = [];
  for (const e of done) {
    episodes.push({
      label: e.label, toolEnabled: e.toolEnabled, answer: e.answer, endReason: e.endReason ?? e.status, totalMs: e.totalMs, steps: await Promise.all(e.steps.map(traceStep)),
      ...(e.readings.length > 1 ? { readings: e.readings } : {}),
      ...(e.readingSteps.length > 1 ? {
        otherReadingSteps: await Promise.all(e.readingSteps.slice(1).map((steps) => Promise.all(steps.map(traceStep)))),
        shownReading: e.shownReading,
      } : {}),
    });
  }
  return {
    format: 'squint-trace', version: 1, createdAt: new Date().toISOString(), question: done[0]!.question,
    image: s.image ? await originalForExport(s.image) : null,
    ...(s.model ? { model: { preset: s.model.preset, parameters: s.model.parameters, quantization: s.model.quantization } } : {}),
    ...(s.backend ? { backend: s.backend.name } : {}),
    ...(s.puzzle ? { puzzle: { seed: s.puzzle.seed, answer: s.puzzle.answer, family: s.puzzle.family } } : {}),
    episodes,
  };
}

const slug = (q: string) => q.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'trace';

export async function exportTrace(kind: 'json' | 'html'): Promise<void> {
  const s = store.getState();
  try {
    const trace = await buildTrace();
    if (!trace) return void s.notify('info', 'Run the model first: there is nothing to export yet.');
    const name = `squint-${slug(trace.question)}`;
    if (kind === 'json') download(new Blob([JSON.stringify(trace, null, 1)], { type: 'application/json' }), `${name}.json`);
    else download(new Blob([traceToHtml(trace)], { type: 'text/html' }), `${name}.html`);
  } catch (e) {
    s.notify('error', `Export failed: ${errorText(e)}`);
  }
}

export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const createOffscreen: CreateCanvas = (w, h) => new OffscreenCanvas(Math.max(1, w), Math.max(1, h)) as unknown as Canvas2D;

async function cropToStep(step: TraceStep, canvas: Canvas2D | null): Promise<StepView> {
  let crop: StepView['crop'] = null;
  if (step.crop) {
    const blob = dataUrlToBlob(step.crop.dataUrl);
    crop = { url: URL.createObjectURL(blob), blob, width: step.crop.width, height: step.crop.height };
  } else if (step.kind === 'zoom' && step.box && canvas) {
    const rgba = cropImage(canvas, pixelBox(...step.box), createOffscreen);
    const c = new OffscreenCanvas(rgba.width, rgba.height);
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba.data), rgba.width, rgba.height), 0, 0);
    const blob = await c.convertToBlob({ type: 'image/png' });
    crop = { url: URL.createObjectURL(blob), blob, width: rgba.width, height: rgba.height };
  }
  return {
    turn: step.turn, kind: step.kind, text: step.text, thought: step.thought, box: step.box, requestedBox: step.requestedBox, crop,
    error: step.error, answer: step.answer, tokens: step.tokens, timings: step.timings ?? null,
  };
}

/**
 * An imported episode's readings' steps, the first's being `steps` (already made), and the one
 * shown; none kept: the first's alone, as traces before stop 50 hold.
 */
async function importedReadings(src: TraceEpisode, steps: readonly StepView[], canvas: Canvas2D | null): Promise<Pick<EpisodeView, 'readingSteps' | 'shownReading'>> {
  if (!src.otherReadingSteps?.length) return { readingSteps: [], shownReading: 0 };
  const others = await Promise.all(src.otherReadingSteps.map((reading) => Promise.all(reading.map((st) => cropToStep(st, canvas)))));
  return { readingSteps: [steps, ...others], shownReading: src.shownReading ?? 0 };
}

let importCount = 0;

/** Imports a trace file for replay. Malformed files are refused with a message. */
export async function importTrace(file: File): Promise<boolean> {
  const s = store.getState();
  try {
    if (file.size > MAX_TRACE_BYTES) throw new TraceImportError(`"${file.name}" is too large to be a trace.`);
    const parsed = parseTraceText(await file.text());
    stop();
    let imageBlob: Blob | null = null;
    if (parsed.kind === 'squint' && parsed.trace.image) imageBlob = dataUrlToBlob(parsed.trace.image.dataUrl);
    if (parsed.kind === 'deepeyes' && parsed.conversation.imageDataUrl) imageBlob = dataUrlToBlob(parsed.conversation.imageDataUrl);
    if (parsed.kind === 'deepeyes' && !imageBlob && !s.image) {
      throw new TraceImportError('This conversation carries no embedded image. Open the image it is about first, then import the conversation again.');
    }
    if (imageBlob) {
      const loaded = await loadImageFile(imageBlob).catch((e) => {
        throw new TraceImportError(`The trace's image is unusable: ${errorText(e)}`);
      });
      useImage(loaded.bitmap, {
        url: URL.createObjectURL(imageBlob), width: loaded.width, height: loaded.height, name: `${file.name.replace(/\.json$/i, '')}${extensionOf(imageBlob)}`,
        source: 'trace', blob: imageBlob, downscaled: loaded.notice !== null,
      });
    } else if (parsed.kind === 'squint') {
      original?.close();
      original = null;
      store.getState().setImage(null);
    }
    const image = store.getState().image;
    let canvas: Canvas2D | null = null;
    if (original) {
      const c = new OffscreenCanvas(original.width, original.height);
      c.getContext('2d')!.drawImage(original, 0, 0);
      canvas = c as unknown as Canvas2D;
    }
    const episodes: EpisodeView[] = [];
    const sources: TraceEpisode[] =
      parsed.kind === 'squint'
        ? [...parsed.trace.episodes]
        : [{ label: 'Imported DeepEyes conversation', toolEnabled: true, totalMs: 0, ...conversationSteps(parsed.conversation.turns, { width: image!.width, height: image!.height }) }];
    for (const src of sources) {
      const id = `import-${++importCount}`;
      const steps = await Promise.all(src.steps.map((st) => cropToStep(st, canvas)));
      episodes.push({
        id, runId: null, label: src.label, toolEnabled: src.toolEnabled, question: parsed.kind === 'squint' ? parsed.trace.question : parsed.conversation.question,
        status: src.endReason === 'stopped' ? 'stopped' : 'done', steps,
        answer: src.answer, endReason: src.endReason, totalMs: src.totalMs, tokens: src.steps.reduce((n, st) => n + st.tokens, 0), error: null, imported: true,
        readings: src.readings ?? [], framings: Math.max(1, src.readings?.length ?? 1), ...await importedReadings(src, steps, canvas),
      });
    }
    const st = store.getState();
    st.setEpisodes(episodes);
    st.setQuestion(episodes[0]!.question);
    st.notify('info', `Imported ${parsed.kind === 'squint' ? 'a Squint trace' : 'a DeepEyes conversation'} from "${file.name}". Use the replay controls to step through it.`);
    return true;
  } catch (e) {
    s.notify('error', e instanceof TraceImportError ? e.message : `The trace could not be imported: ${errorText(e)}`);
    return false;
  }
}

let rolloutCount = 0;

/** Shows a Train-mode rollout in the playground, as an imported episode (replay, export work). */
export async function showRollout(view: RolloutView): Promise<void> {
  const loaded = await loadImageFile(view.png);
  useImage(loaded.bitmap, {
    url: URL.createObjectURL(view.png), width: view.width, height: view.height, name: `squint-rollout-${view.key}.png`, source: 'trace', blob: view.png, downscaled: false,
  });
  const episode: EpisodeView = {
    id: `rollout-${++rolloutCount}`, runId: null, label: `Training rollout (reward ${view.reward.toFixed(2)}, expected "${view.truth}")`, toolEnabled: true,
    question: view.question, status: 'done', steps: view.steps.map(stepView), answer: view.answer, endReason: view.endReason, totalMs: view.totalMs,
    tokens: view.steps.reduce((n, st) => n + st.tokens, 0), error: null, imported: true, readings: [], readingSteps: [], shownReading: 0, framings: 1,
  };
  const st = store.getState();
  st.setEpisodes([episode]);
  st.setQuestion(view.question);
}
