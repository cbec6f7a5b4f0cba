/** What an episode produced, step by step: the record the UI shows, eval scores and RL trains on. */
import type { PixelBox, Size, ViewBox } from '../world/boxes';
import type { RgbaImage } from '../world/canvas';

export type StepKind = 'zoom' | 'answer' | 'error' | 'none';

export interface StepTimings {
  /** Sampling the turn's tokens (includes the decoder passes). */
  readonly generateMs: number;
  /** Cutting the crop from the original. */
  readonly cropMs: number;
  /** Encoding the crop and appending it to the KV cache. */
  readonly encodeMs: number;
}

export interface TrajectoryStep {
  readonly turn: number;
  /** Everything the model wrote this turn. */
  readonly text: string;
  readonly thought: string;
  readonly kind: StepKind;
  /** The box as the model wrote it, on the original (zoom and error steps with a parsable box). */
  readonly requestedBox: PixelBox | null;
  readonly viewBox: ViewBox | null;
  /** The box actually cropped: clamped to the image, whole pixels. */
  readonly box: PixelBox | null;
  readonly crop: RgbaImage | null;
  /** The `Error: …` observation returned to the model. */
  readonly error: string | null;
  readonly answer: string | null;
  readonly tokens: number;
  readonly timings: StepTimings;
}

export type EndReason = 'answer' | 'no_action' | 'max_turns' | 'context_full' | 'stopped';

/** The token stream of an episode, for training: ids, which ids the model wrote, and the image blocks. */
export interface TokenSequence {
  readonly ids: number[];
  /** 1 where the model generated the token, 0 for prompt and observation tokens. */
  readonly modelMask: number[];
  /** Sampling log-probability of each model token (0 elsewhere). */
  readonly logprobs: number[];
  /** Patches of each image block, in order of appearance. */
  readonly images: Float32Array[];
}

export interface Trajectory {
  readonly question: string;
  readonly imageSize: Size;
  readonly steps: TrajectoryStep[];
  readonly answer: string | null;
  readonly endReason: EndReason;
  /** Balanced tags in every turn and an answer under 1000 characters (DeepEyes' format term). */
  readonly formatValid: boolean;
  readonly totalMs: number;
  readonly sequence: TokenSequence;
}

export const zoomSteps = (t: Trajectory) => t.steps.filter((s) => s.kind === 'zoom');
