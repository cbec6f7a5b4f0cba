/**
 * The app's one store, in four slices: engine (backend, model), playground (image, question,
 * episodes, replay), settings (persisted), training (the Train tab, train/train-slice.ts). The worker bridge updates it from outside React;
 * components select single fields. Token streams do not pass through here (see tokens.ts).
 */
import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import {
  type BackendName, type BackendPreference, type ModelInfo, type PuzzleInfo, type StepMessage, DEFAULT_RUN_SETTINGS,
  SETTING_BOUNDS, isBackendPreference,
} from '../worker/protocol';
import type { StepRecord, StepTimings } from './trace';
import { type TrainSlice, createTrainSlice } from './train/train-slice';

// ---------------------------------------------------------------------------------------------
// Engine slice

export interface FileProgress {
  readonly loaded: number;
  readonly total: number;
  readonly source: 'cache' | 'network';
}

export interface EngineSlice {
  backend: { name: BackendName; preference: BackendPreference; threads: number; notes: readonly string[] } | null;
  modelStatus: 'idle' | 'loading' | 'ready' | 'error';
  loadProgress: { loaded: number; total: number; files: Readonly<Record<string, FileProgress>> };
  model: ModelInfo | null;
  modelFromCache: boolean;
  loadMs: number;
  loadError: { message: string; file: string | null; fault: string | null } | null;
  setBackend(b: EngineSlice['backend']): void;
  startLoading(): void;
  setProgress(file: string, p: FileProgress, loaded: number, total: number): void;
  setLoaded(model: ModelInfo, fromCache: boolean, ms: number): void;
  setLoadError(message: string, file?: string, fault?: string): void;
}

const createEngineSlice: StateCreator<SquintState, [], [], EngineSlice> = (set) => ({
  backend: null,
  modelStatus: 'idle',
  loadProgress: { loaded: 0, total: 0, files: {} },
  model: null,
  modelFromCache: false,
  loadMs: 0,
  loadError: null,
  setBackend: (backend) => set({ backend }),
  startLoading: () => set({ modelStatus: 'loading', loadError: null, loadProgress: { loaded: 0, total: 0, files: {} } }),
  setProgress: (file, p, loaded, total) =>
    set((s) => ({ loadProgress: { loaded: Math.max(loaded, s.loadProgress.loaded), total: total || s.loadProgress.total, files: { ...s.loadProgress.files, [file]: p } } })),
  setLoaded: (model, modelFromCache, loadMs) => set({ model, modelFromCache, loadMs, modelStatus: 'ready', loadError: null }),
  setLoadError: (message, file, fault) => set({ modelStatus: 'error', loadError: { message, file: file ?? null, fault: fault ?? null } }),
});

// ---------------------------------------------------------------------------------------------
// Playground slice

export interface ImageState {
  /** Object URL of the image as displayed. */
  readonly url: string;
  /** Pixel space of every box (after any downscale). */
  readonly width: number;
  readonly height: number;
  readonly name: string;
  readonly source: 'file' | 'drop' | 'paste' | 'puzzle' | 'trace';
  /** The bytes (for export and "save image"). */
  readonly blob: Blob;
  /** The file was larger than the limit: boxes refer to the downscaled size, not the file's. */
  readonly downscaled: boolean;
}

export interface StepView extends StepRecord {
  readonly crop: { readonly url: string; readonly blob: Blob; readonly width: number; readonly height: number } | null;
  readonly timings: StepTimings | null;
}

export type EpisodeStatus = 'queued' | 'running' | 'done' | 'stopped' | 'error';

export interface EpisodeView {
  readonly id: string;
  readonly runId: number | null;
  readonly label: string;
  readonly toolEnabled: boolean;
  readonly question: string;
  readonly status: EpisodeStatus;
  readonly steps: readonly StepView[];
  readonly answer: string | null;
  readonly endReason: string | null;
  readonly totalMs: number;
  readonly tokens: number;
  readonly error: string | null;
  readonly imported: boolean;
  /**
   * With several framings (Settings.framings), each finished reading's answer in order; `answer`
   * is then the majority's. Empty for a single reading.
   */
  readonly readings: readonly (string | null)[];
  /**
   * Each finished reading's steps, aligned with `readings` (the first's are `steps`, which it
   * streamed into; a later reading's boxes are in the original's px). Empty for a single reading.
   */
  readonly readingSteps: readonly (readonly StepView[])[];
  /** Whose steps are shown: 0 the first reading's (streamed); once answered, the first reading that gave the answer. */
  readonly shownReading: number;
  /** How many readings the run makes (1: the image once). */
  readonly framings: number;
}

export interface Message {
  readonly id: number;
  readonly level: 'error' | 'warning' | 'info';
  readonly text: string;
}

export interface Highlight {
  readonly episodeId: string;
  readonly step: number;
}

export interface PlaygroundSlice {
  image: ImageState | null;
  question: string;
  puzzle: PuzzleInfo | null;
  puzzleBusy: boolean;
  episodes: readonly EpisodeView[];
  highlight: Highlight | null;
  /** Step-through replay: how many steps of each episode are shown (null: all). */
  replayStep: number | null;
  messages: readonly Message[];
  setImage(image: ImageState | null, puzzle?: PuzzleInfo | null): void;
  setQuestion(q: string): void;
  setPuzzleBusy(b: boolean): void;
  setEpisodes(e: readonly EpisodeView[]): void;
  updateEpisode(match: (e: EpisodeView) => boolean, update: (e: EpisodeView) => Partial<EpisodeView>): void;
  addStep(runId: number, step: StepView): void;
  /** Shows the steps of reading `index` of an episode read on several framings (the replay starts over). */
  showReading(episodeId: string, index: number): void;
  setHighlight(h: Highlight | null): void;
  setReplayStep(n: number | null): void;
  notify(level: Message['level'], text: string): number;
  dismiss(id: number): void;
}

let messageId = 1;

/** Revokes the object URLs an episode holds (crops). */
function releaseEpisodes(episodes: readonly EpisodeView[]) {
  if (typeof URL.revokeObjectURL !== 'function') return;
  for (const e of episodes) for (const steps of [e.steps, ...e.readingSteps.slice(1)]) for (const s of steps) if (s.crop) URL.revokeObjectURL(s.crop.url);
}

const createPlaygroundSlice: StateCreator<SquintState, [], [], PlaygroundSlice> = (set, get) => ({
  image: null,
  question: '',
  puzzle: null,
  puzzleBusy: false,
  episodes: [],
  highlight: null,
  replayStep: null,
  messages: [],
  setImage: (image, puzzle = null) => {
    const old = get().image;
    if (old && old.url !== image?.url && typeof URL.revokeObjectURL === 'function') URL.revokeObjectURL(old.url);
    releaseEpisodes(get().episodes);
    set({ image, puzzle, episodes: [], highlight: null, replayStep: null });
  },
  setQuestion: (question) => set({ question }),
  setPuzzleBusy: (puzzleBusy) => set({ puzzleBusy }),
  setEpisodes: (episodes) => {
    releaseEpisodes(get().episodes.filter((e) => !episodes.includes(e)));
    set({ episodes, highlight: null, replayStep: null });
  },
  updateEpisode: (match, update) => set((s) => ({ episodes: s.episodes.map((e) => (match(e) ? { ...e, ...update(e) } : e)) })),
  addStep: (runId, step) => set((s) => ({ episodes: s.episodes.map((e) => (e.runId === runId ? { ...e, steps: [...e.steps, step] } : e)) })),
  showReading: (episodeId, index) => set((s) => ({
    episodes: s.episodes.map((e) => (e.id === episodeId && index >= 0 && index < e.readingSteps.length ? { ...e, shownReading: index } : e)),
    highlight: null,
    replayStep: null,
  })),
  setHighlight: (highlight) => {
    const h = get().highlight;
    if (h?.episodeId === highlight?.episodeId && h?.step === highlight?.step) return;
    set({ highlight });
  },
  setReplayStep: (replayStep) => set({ replayStep }),
  notify: (level, text) => {
    const id = messageId++;
    // The same text twice in a row is shown once.
    set((s) => ({ messages: [...s.messages.filter((m) => m.text !== text), { id, level, text }].slice(-5) }));
    return id;
  },
  dismiss: (id) => set((s) => ({ messages: s.messages.filter((m) => m.id !== id) })),
});

// ---------------------------------------------------------------------------------------------
// Settings slice (persisted)

export interface Settings {
  temperature: number;
  topP: number;
  maxTurns: number;
  maxTokensPerTurn: number;
  toolEnabled: boolean;
  seed: number;
  /** Readings on shifted framings, answered by majority (src/agent/framings.ts). */
  framings: number;
  backend: BackendPreference;
  compare: boolean;
  largeText: boolean;
  difficulty: number;
}

export const DEFAULT_SETTINGS: Settings = {
  temperature: DEFAULT_RUN_SETTINGS.temperature,
  topP: DEFAULT_RUN_SETTINGS.topP,
  maxTurns: DEFAULT_RUN_SETTINGS.maxTurns,
  maxTokensPerTurn: DEFAULT_RUN_SETTINGS.maxTokensPerTurn,
  toolEnabled: true,
  seed: DEFAULT_RUN_SETTINGS.seed,
  framings: DEFAULT_RUN_SETTINGS.framings,
  backend: 'auto',
  compare: false,
  largeText: false,
  difficulty: 0.4,
};

export interface SettingsSlice {
  settings: Settings;
  updateSettings(patch: Partial<Settings>): void;
  resetSettings(): void;
}

const inRange = (v: unknown, [lo, hi]: readonly [number, number]) => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;

/** Settings from untrusted storage: each field kept only when valid. */
export function restoreSettings(raw: unknown): Settings {
  const s = { ...DEFAULT_SETTINGS };
  if (typeof raw !== 'object' || raw === null) return s;
  const r = raw as Record<string, unknown>;
  if (inRange(r.temperature, SETTING_BOUNDS.temperature)) s.temperature = r.temperature as number;
  if (inRange(r.topP, SETTING_BOUNDS.topP)) s.topP = r.topP as number;
  if (inRange(r.maxTurns, SETTING_BOUNDS.maxTurns) && Number.isInteger(r.maxTurns)) s.maxTurns = r.maxTurns as number;
  if (inRange(r.maxTokensPerTurn, SETTING_BOUNDS.maxTokensPerTurn) && Number.isInteger(r.maxTokensPerTurn)) s.maxTokensPerTurn = r.maxTokensPerTurn as number;
  if (typeof r.toolEnabled === 'boolean') s.toolEnabled = r.toolEnabled;
  if (Number.isInteger(r.seed)) s.seed = r.seed as number;
  if (inRange(r.framings, SETTING_BOUNDS.framings) && Number.isInteger(r.framings)) s.framings = r.framings as number;
  if (isBackendPreference(r.backend)) s.backend = r.backend;
  if (typeof r.compare === 'boolean') s.compare = r.compare;
  if (typeof r.largeText === 'boolean') s.largeText = r.largeText;
  if (inRange(r.difficulty, [0, 1])) s.difficulty = r.difficulty as number;
  return s;
}

export interface SettingsStorage {
  load(): unknown;
  save(s: Settings): void;
}

export const SETTINGS_KEY = 'squint.settings.v1';

export const localSettingsStorage: SettingsStorage = {
  load() {
    try {
      const text = globalThis.localStorage?.getItem(SETTINGS_KEY);
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  },
  save(s) {
    try {
      globalThis.localStorage?.setItem(SETTINGS_KEY, JSON.stringify(s));
    } catch {
      // storage full or blocked: settings just do not persist
    }
  },
};

const createSettingsSlice = (storage: SettingsStorage): StateCreator<SquintState, [], [], SettingsSlice> => (set, get) => ({
  settings: restoreSettings(storage.load()),
  updateSettings: (patch) => {
    const settings = restoreSettings({ ...get().settings, ...patch });
    set({ settings });
    storage.save(settings);
  },
  resetSettings: () => {
    set({ settings: { ...DEFAULT_SETTINGS } });
    storage.save(DEFAULT_SETTINGS);
  },
});

// ---------------------------------------------------------------------------------------------

export type SquintState = EngineSlice & PlaygroundSlice & SettingsSlice & TrainSlice;
export type SquintStore = StoreApi<SquintState>;

export function createSquintStore(storage: SettingsStorage = localSettingsStorage): SquintStore {
  return createStore<SquintState>()((...a) => ({
    ...createEngineSlice(...a),
    ...createPlaygroundSlice(...a),
    ...createSettingsSlice(storage)(...a),
    ...(createTrainSlice as unknown as StateCreator<SquintState, [], [], TrainSlice>)(...a),
  }));
}

/** The app's store (tests make their own with createSquintStore). */
export const store = createSquintStore();

export function useSquint<T>(selector: (s: SquintState) => T): T {
  return useStore(store, selector);
}

/** A StepMessage from the worker as the UI keeps it (crop as an object URL). */
export function stepView(m: StepMessage): StepView {
  return {
    turn: m.turn,
    kind: m.kind,
    text: m.text,
    thought: m.thought,
    box: m.box,
    requestedBox: m.requestedBox,
    crop: m.crop ? { url: URL.createObjectURL(m.crop.png), blob: m.crop.png, width: m.crop.width, height: m.crop.height } : null,
    error: m.error,
    answer: m.answer,
    tokens: m.tokens,
    timings: m.timings,
  };
}

/** The steps of the reading an episode shows (see EpisodeView.shownReading); the first's are always `steps`. */
export function shownSteps(e: EpisodeView): readonly StepView[] {
  return (e.shownReading > 0 ? e.readingSteps[e.shownReading] : undefined) ?? e.steps;
}

/** Steps of an episode visible at the current replay position. */
export function visibleSteps(e: EpisodeView, replayStep: number | null): readonly StepView[] {
  const steps = shownSteps(e);
  return replayStep === null ? steps : steps.slice(0, replayStep);
}
