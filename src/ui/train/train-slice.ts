/**
 * The store's training slice: what the Train tab shows. The training worker's events update it
 * through train-bridge.ts; the curves' points arrive here too (one per step, seconds apart).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { CheckpointRecord } from '../../storage/db';
import type { EvalSummary, ModelSource, RunRecord, StepPoint } from '../../storage/runs';
import type { BackendName } from '../../worker/protocol';
import type { GalleryItem, TrainState } from '../../worker/train-protocol';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../worker/train-settings';

export type View = 'playground' | 'train';

/** A stored run found at start-up (after a reload), before the worker has loaded it. */
export interface StoredRun {
  readonly start: ModelSource;
  readonly step: number;
  readonly updatedAt: number;
}

export interface TrainSlice {
  view: View;
  trainState: TrainState;
  trainDetail: string;
  trainStep: number;
  trainBackend: { name: BackendName; threads: number; notes: readonly string[] } | null;
  /** The run the worker holds (or the stored one, shown until resumed). */
  trainRun: { start: ModelSource; settings: TrainSettings } | null;
  storedRun: StoredRun | null;
  history: readonly StepPoint[];
  evalBefore: EvalSummary | null;
  evalAfter: EvalSummary | null;
  evalProgress: { which: 'before' | 'after'; done: number; n: number } | null;
  gallery: readonly GalleryItem[];
  lastAutosave: number | null;
  /** The form: settings for the next run, and where it starts. */
  draft: TrainSettings;
  startFrom: string;
  bundled: readonly string[];
  checkpoints: readonly CheckpointRecord[];
  /** The model the playground runs (bundled or saved). */
  playgroundModel: ModelSource;
  setView(v: View): void;
  setPlaygroundModel(m: ModelSource): void;
  setTrainState(state: TrainState, step: number, detail: string): void;
  setTrainBackend(b: TrainSlice['trainBackend']): void;
  setTrainRun(run: TrainSlice['trainRun'], history: readonly StepPoint[], evalBefore: EvalSummary | null, evalAfter: EvalSummary | null): void;
  setStoredRun(record: RunRecord | null): void;
  addTrainStep(point: StepPoint, gallery: readonly GalleryItem[]): void;
  setEval(which: 'before' | 'after', summary: EvalSummary): void;
  setEvalProgress(p: TrainSlice['evalProgress']): void;
  setAutosaved(step: number): void;
  updateDraft(patch: Partial<TrainSettings>): void;
  setStartFrom(key: string): void;
  setBundled(names: readonly string[]): void;
  setCheckpoints(list: readonly CheckpointRecord[]): void;
  clearTrainRun(): void;
}

/** Rollouts the gallery shows. */
export const GALLERY_SHOWN = 12;

export const createTrainSlice: StateCreator<TrainSlice, [], [], TrainSlice> = (set) => ({
  view: 'playground',
  trainState: 'idle',
  trainDetail: '',
  trainStep: 0,
  trainBackend: null,
  trainRun: null,
  storedRun: null,
  history: [],
  evalBefore: null,
  evalAfter: null,
  evalProgress: null,
  gallery: [],
  lastAutosave: null,
  draft: DEFAULT_TRAIN_SETTINGS,
  startFrom: 'bundled:default',
  bundled: ['default'],
  checkpoints: [],
  playgroundModel: { kind: 'bundled', name: 'default', url: `${import.meta.env.BASE_URL}models/default/` },
  setView: (view) => set({ view }),
  setPlaygroundModel: (playgroundModel) => set({ playgroundModel }),
  setTrainState: (trainState, trainStep, trainDetail) => set((s) => ({ trainState, trainStep, trainDetail, evalProgress: trainState === 'evaluating' ? s.evalProgress : null })),
  setTrainBackend: (trainBackend) => set({ trainBackend }),
  setTrainRun: (trainRun, history, evalBefore, evalAfter) => set({ trainRun, history, evalBefore, evalAfter, gallery: [], storedRun: null }),
  setStoredRun: (r) => set(r ? {
    storedRun: { start: r.start, step: r.position.step, updatedAt: r.updatedAt },
    trainRun: { start: r.start, settings: r.settings },
    history: r.history.filter((p) => p.step <= r.position.step),
    evalBefore: r.evalBefore,
    evalAfter: r.evalAfter,
    draft: r.settings,
  } : { storedRun: null }),
  addTrainStep: (point, gallery) => set((s) => ({ history: [...s.history, point], gallery: [...gallery, ...s.gallery].slice(0, GALLERY_SHOWN), trainStep: point.step })),
  setEval: (which, summary) => set(which === 'before' ? { evalBefore: summary, evalProgress: null } : { evalAfter: summary, evalProgress: null }),
  setEvalProgress: (evalProgress) => set({ evalProgress }),
  setAutosaved: (lastAutosave) => set({ lastAutosave }),
  updateDraft: (patch) => set((s) => ({ draft: { ...s.draft, ...patch } })),
  setStartFrom: (startFrom) => set({ startFrom }),
  setBundled: (bundled) => set({ bundled }),
  setCheckpoints: (checkpoints) => set({ checkpoints }),
  clearTrainRun: () => set({ trainRun: null, storedRun: null, history: [], evalBefore: null, evalAfter: null, gallery: [], lastAutosave: null, trainStep: 0 }),
});
