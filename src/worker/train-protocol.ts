/**
 * The typed protocol between the UI thread and the training worker (a second worker beside the
 * agent worker; see train.worker.ts for why). Exhaustive switches on both sides.
 */
import type { CheckpointRecord } from '../storage/db';
import type { EvalSummary, ModelSource, StepPoint } from '../storage/runs';
import type { BackendName, BackendPreference, StepMessage } from './protocol';
import type { TrainSettings } from './train-settings';

export type TrainState =
  /** No run in this worker (a stored one may still be resumable). */
  | 'idle'
  | 'loading'
  | 'evaluating'
  | 'running'
  /** A pause was requested: the step in progress is being cut short. */
  | 'pausing'
  | 'paused'
  | 'error';

/** One rollout in the gallery, as a line of text; its full trajectory comes on request. */
export interface GalleryItem {
  readonly key: string;
  readonly step: number;
  readonly family: string;
  readonly question: string;
  readonly truth: string;
  readonly answer: string | null;
  readonly reward: number;
  readonly advantage: number;
  readonly zooms: number;
  readonly turns: number;
  readonly formatValid: boolean;
}

export interface RolloutView {
  readonly key: string;
  readonly question: string;
  readonly truth: string;
  readonly answer: string | null;
  readonly endReason: string;
  readonly reward: number;
  readonly totalMs: number;
  readonly png: Blob;
  readonly width: number;
  readonly height: number;
  readonly steps: readonly StepMessage[];
}

export interface ImportFile {
  readonly name: string;
  readonly data: ArrayBuffer;
}

export type TrainRequest =
  | { readonly type: 'init'; readonly backend: BackendPreference }
  /** A new run from `start` (the stored run, if any, is replaced). */
  | { readonly type: 'start'; readonly start: ModelSource; readonly settings: TrainSettings; readonly evalBefore: boolean }
  /** Continues the paused run, or the stored one after a reload (from its last autosave). */
  | { readonly type: 'resume' }
  | { readonly type: 'pause' }
  /** Pauses (if running) and measures the held-out set again ("after"). */
  | { readonly type: 'evaluate' }
  /** Forgets the run (in memory and in IndexedDB). */
  | { readonly type: 'discard' }
  | { readonly type: 'save'; readonly requestId: number; readonly name: string }
  /** Validates a model directory's files and stores them as a saved checkpoint. */
  | { readonly type: 'import'; readonly requestId: number; readonly name: string; readonly files: readonly ImportFile[] }
  | { readonly type: 'rollout'; readonly requestId: number; readonly key: string };

export type TrainEvent =
  | { readonly type: 'backend'; readonly backend: BackendName; readonly threads: number; readonly notes: readonly string[] }
  | { readonly type: 'state'; readonly state: TrainState; readonly step: number; readonly detail: string }
  /** The run this worker trains (after start or resume): what the UI shows before the next step. */
  | { readonly type: 'run'; readonly start: ModelSource; readonly settings: TrainSettings; readonly history: readonly StepPoint[]; readonly evalBefore: EvalSummary | null; readonly evalAfter: EvalSummary | null }
  | { readonly type: 'step'; readonly point: StepPoint; readonly gallery: readonly GalleryItem[] }
  | { readonly type: 'evalProgress'; readonly which: 'before' | 'after'; readonly done: number; readonly n: number }
  | { readonly type: 'eval'; readonly which: 'before' | 'after'; readonly summary: EvalSummary }
  | { readonly type: 'autosaved'; readonly step: number }
  | { readonly type: 'saved'; readonly requestId: number; readonly record: CheckpointRecord }
  | { readonly type: 'imported'; readonly requestId: number; readonly record: CheckpointRecord }
  | { readonly type: 'rollout'; readonly requestId: number; readonly view: RolloutView }
  | { readonly type: 'notice'; readonly level: 'info' | 'warning'; readonly message: string }
  | {
      readonly type: 'error';
      readonly scope: 'load' | 'train' | 'save' | 'import' | 'rollout' | 'protocol';
      readonly message: string;
      readonly requestId?: number;
      /** Import: the file at fault and the fault (see ModelFileError). */
      readonly file?: string;
      readonly fault?: string;
    };
