/**
 * The typed protocol between the UI thread and the agent worker. Both sides switch exhaustively
 * over these unions (a `never` default), so adding a message type is a compile error until every
 * side handles it. Everything here is structured-cloneable; ImageBitmaps travel as transferables.
 */
import { MAX_FRAMINGS } from '../agent/framings';

export const BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const BACKEND_PREFERENCES = ['auto', ...BACKENDS] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export function isBackendPreference(v: unknown): v is BackendPreference {
  return typeof v === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(v);
}

/** Sampling and loop limits for one run (the UI's settings). */
export interface RunSettings {
  readonly temperature: number;
  readonly topP: number;
  readonly maxTurns: number;
  readonly maxTokensPerTurn: number;
  readonly toolEnabled: boolean;
  readonly seed: number;
  /** At most this many readings on shifted framings, until one answer leads by two, answered by majority (src/agent/framings.ts); 1 reads the image once. */
  readonly framings: number;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  temperature: 0,
  topP: 1,
  maxTurns: 5,
  maxTokensPerTurn: 96,
  toolEnabled: true,
  seed: 1,
  framings: MAX_FRAMINGS,
};

/** Bounds the worker clamps settings to (a bad value never reaches the loop). */
export const SETTING_BOUNDS = {
  temperature: [0, 2],
  topP: [0.05, 1],
  maxTurns: [1, 10],
  maxTokensPerTurn: [1, 256],
  framings: [1, MAX_FRAMINGS],
} as const;

const clamp = (v: number, [lo, hi]: readonly [number, number], fallback: number) =>
  Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;

export function sanitizeSettings(s: RunSettings): RunSettings {
  return {
    temperature: clamp(s.temperature, SETTING_BOUNDS.temperature, DEFAULT_RUN_SETTINGS.temperature),
    topP: clamp(s.topP, SETTING_BOUNDS.topP, DEFAULT_RUN_SETTINGS.topP),
    maxTurns: Math.round(clamp(s.maxTurns, SETTING_BOUNDS.maxTurns, DEFAULT_RUN_SETTINGS.maxTurns)),
    maxTokensPerTurn: Math.round(clamp(s.maxTokensPerTurn, SETTING_BOUNDS.maxTokensPerTurn, DEFAULT_RUN_SETTINGS.maxTokensPerTurn)),
    toolEnabled: s.toolEnabled !== false,
    seed: Number.isInteger(s.seed) ? s.seed : DEFAULT_RUN_SETTINGS.seed,
    framings: Math.round(clamp(s.framings, SETTING_BOUNDS.framings, DEFAULT_RUN_SETTINGS.framings)),
  };
}

/** [x1, y1, x2, y2] in pixels of the original image (as sent to the UI). */
export type BoxTuple = readonly [number, number, number, number];

/** A finished step, serialisable (the crop as a lossless PNG blob). */
export interface StepMessage {
  readonly turn: number;
  readonly kind: 'zoom' | 'answer' | 'error' | 'none';
  readonly text: string;
  readonly thought: string;
  readonly box: BoxTuple | null;
  readonly requestedBox: BoxTuple | null;
  readonly crop: { readonly png: Blob; readonly width: number; readonly height: number } | null;
  readonly error: string | null;
  readonly answer: string | null;
  readonly tokens: number;
  readonly timings: { readonly generateMs: number; readonly cropMs: number; readonly encodeMs: number };
}

export type EndReason = 'answer' | 'no_action' | 'max_turns' | 'context_full' | 'stopped' | 'error';

export interface ModelInfo {
  readonly url: string;
  readonly preset: string;
  readonly parameters: number;
  readonly imageSize: number;
  readonly maxSeq: number;
  readonly quantization: string;
  readonly bytes: number;
  /** The README.md of the model directory (may be empty). */
  readonly card: string;
}

export interface PuzzleInfo {
  readonly seed: number;
  readonly difficulty: number;
  readonly question: string;
  readonly answer: string;
  readonly family: string;
  readonly resolvable: boolean;
  readonly targets: readonly BoxTuple[];
}

// ---------------------------------------------------------------------------------------------
// Requests (UI → worker)

export type WorkerRequest =
  /** Picks a backend (first message, and again to switch; a loaded model is reloaded). */
  | { readonly type: 'init'; readonly backend: BackendPreference }
  /** Loads a model directory (served at `url`), through the Cache API. */
  | { readonly type: 'load'; readonly url: string }
  /** Loads a checkpoint saved in IndexedDB by Train mode (by its id). */
  | { readonly type: 'loadSaved'; readonly id: string }
  /** Runs one episode on `image` (transferred). */
  | { readonly type: 'run'; readonly runId: number; readonly image: ImageBitmap; readonly question: string; readonly settings: RunSettings }
  /** Stops the run in progress (no-op when none). */
  | { readonly type: 'stop'; readonly runId: number }
  /** Generates and renders a world scene with its question. */
  | { readonly type: 'newPuzzle'; readonly requestId: number; readonly seed: number; readonly difficulty: number }
  /** Platform check: one forward pass of a tiny random-weight model on the current backend. */
  | { readonly type: 'selfTest'; readonly requestId: number };

// ---------------------------------------------------------------------------------------------
// Events (worker → UI)

export type WorkerEvent =
  | { readonly type: 'backend'; readonly backend: BackendName; readonly preference: BackendPreference; readonly threads: number; readonly notes: readonly string[] }
  /** Download progress: of one file (a shard streams in chunks), and of the whole directory. */
  | {
      readonly type: 'progress';
      readonly file: string;
      readonly fileLoadedBytes: number;
      readonly fileTotalBytes: number;
      readonly loadedBytes: number;
      readonly totalBytes: number;
      readonly source: 'cache' | 'network';
    }
  | { readonly type: 'loaded'; readonly model: ModelInfo; readonly fromCache: boolean; readonly ms: number }
  /** Something the user should know that is not an error (downscaled image, newer model on the server). */
  | { readonly type: 'notice'; readonly level: 'info' | 'warning'; readonly message: string }
  | { readonly type: 'started'; readonly runId: number; readonly width: number; readonly height: number }
  | { readonly type: 'token'; readonly runId: number; readonly turn: number; readonly piece: string }
  | { readonly type: 'step'; readonly runId: number; readonly step: StepMessage }
  /**
   * A finished reading of a run on several framings (`index` of `count`). The first reading's steps
   * were streamed; a later one's come with it, boxes in the original's px (boxInOriginal).
   */
  | { readonly type: 'reading'; readonly runId: number; readonly index: number; readonly count: number; readonly answer: string | null; readonly steps?: readonly StepMessage[] }
  /** The run's answer: with several framings, the majority's, and `reading`, the first reading that gave it. */
  | { readonly type: 'answer'; readonly runId: number; readonly answer: string; readonly reading: number }
  | { readonly type: 'done'; readonly runId: number; readonly endReason: EndReason; readonly totalMs: number; readonly formatValid: boolean; readonly tokens: number }
  | { readonly type: 'puzzle'; readonly requestId: number; readonly png: Blob; readonly width: number; readonly height: number; readonly info: PuzzleInfo }
  | { readonly type: 'selfTest'; readonly requestId: number; readonly backend: BackendName; readonly finite: boolean; readonly logits: number; readonly ms: number }
  | {
      readonly type: 'error';
      /** What failed: the model load, a run, a puzzle, the backend, or a message the worker could not handle. */
      readonly scope: 'load' | 'run' | 'puzzle' | 'backend' | 'selfTest' | 'protocol';
      readonly message: string;
      /** For model files: the file at fault and the fault (see ModelFileError). */
      readonly file?: string;
      readonly fault?: string;
      readonly runId?: number;
      readonly requestId?: number;
    };

export type WorkerRequestType = WorkerRequest['type'];
export type WorkerEventType = WorkerEvent['type'];

/** For the `default:` branch of an exhaustive switch. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify((x as { type?: unknown })?.type ?? x)}`);
}

/** Objects in a request that must be transferred rather than copied. */
export function transferablesOf(req: WorkerRequest): Transferable[] {
  switch (req.type) {
    case 'run':
      return [req.image];
    case 'init':
    case 'load':
    case 'loadSaved':
    case 'stop':
    case 'newPuzzle':
    case 'selfTest':
      return [];
    default:
      return assertNever(req, 'request');
  }
}

// ---------------------------------------------------------------------------------------------
// Image size limits

/** Images are used as is up to this longest side… */
export const MAX_IMAGE_SIDE = 8192;
/** …and this many pixels (40 MP: the RGBA original plus one read-back is ~320 MB). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/**
 * Larger images are downscaled to the limit while decoding; images above these are refused
 * outright, because decoding them at all could exhaust memory (100 MP ≈ 400 MB of RGBA).
 */
export const MAX_DECODE_SIDE = 32768;
export const MAX_DECODE_PIXELS = 100_000_000;

export type SizeVerdict =
  | { readonly kind: 'ok'; readonly width: number; readonly height: number }
  | { readonly kind: 'downscale'; readonly width: number; readonly height: number; readonly fromWidth: number; readonly fromHeight: number }
  | { readonly kind: 'refuse'; readonly reason: string };

const mp = (px: number) => `${(px / 1e6).toFixed(px >= 10e6 ? 0 : 1)} MP`;

/** What to do with an image of this size: use it, downscale it (to what), or refuse it (why). */
export function sizeVerdict(width: number, height: number): SizeVerdict {
  if (!Number.isFinite(width) || !Number.isFinite(height) || width < 1 || height < 1) {
    return { kind: 'refuse', reason: `The image reports an invalid size (${width}×${height}).` };
  }
  const px = width * height;
  if (Math.max(width, height) > MAX_DECODE_SIDE || px > MAX_DECODE_PIXELS) {
    return {
      kind: 'refuse',
      reason: `The image is ${width}×${height} px (${mp(px)}), too large to open safely in the browser. ` +
        `Images up to ${MAX_DECODE_SIDE} px a side and ${mp(MAX_DECODE_PIXELS)} are accepted (larger than ${MAX_IMAGE_SIDE} px or ${mp(MAX_IMAGE_PIXELS)} are downscaled).`,
    };
  }
  const k = Math.min(1, MAX_IMAGE_SIDE / Math.max(width, height), Math.sqrt(MAX_IMAGE_PIXELS / px));
  if (k >= 1) return { kind: 'ok', width, height };
  let w = Math.max(1, Math.floor(width * k));
  let h = Math.max(1, Math.floor(height * k));
  while (w * h > MAX_IMAGE_PIXELS) (w = Math.max(1, w - 1)), (h = Math.max(1, Math.floor((height * w) / width)));
  return { kind: 'downscale', width: w, height: h, fromWidth: width, fromHeight: height };
}

/** The notice shown when an image was downscaled. */
export function downscaleNotice(v: Extract<SizeVerdict, { kind: 'downscale' }>): string {
  return `The image is ${v.fromWidth}×${v.fromHeight} px (${mp(v.fromWidth * v.fromHeight)}), above the limit of ` +
    `${MAX_IMAGE_SIDE} px a side and ${mp(MAX_IMAGE_PIXELS)}; it was downscaled to ${v.width}×${v.height} px.`;
}
