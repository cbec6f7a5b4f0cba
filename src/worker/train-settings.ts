/**
 * Train mode's settings: one typed object with defaults, and the validation the worker applies to
 * whatever the UI (or IndexedDB, after a reload) hands it. No tfjs here: the UI imports this file.
 */
import { FAMILIES, type Family } from '../world/types';

export const DIFFICULTIES = ['easy', 'medium', 'hard', 'mixed'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/** The world's difficulty range (0 = small scenes, few objects, big targets) for each choice. */
export const DIFFICULTY_RANGE: Record<Difficulty, readonly [number, number]> = {
  easy: [0, 0.3],
  medium: [0.3, 0.6],
  hard: [0.6, 1],
  mixed: [0, 1],
};

export interface TrainSettings {
  /** Question families the prompts are drawn from. */
  readonly families: readonly Family[];
  readonly difficulty: Difficulty;
  /** 0: a fresh scene for every prompt; N: cycle over N fixed scenes (learning is fast and visible). */
  readonly scenePool: number;
  /** P: prompts per step. */
  readonly promptsPerStep: number;
  /** G: rollouts per prompt (DeepEyes: 16). */
  readonly groupSize: number;
  /** Adam learning rate, constant. */
  readonly lr: number;
  /** Rollout sampling temperature (the loss divides logits by the same one). */
  readonly temperature: number;
  /** DeepEyes: 0.8 / 0.2 / 1.2. */
  readonly rewardAccuracy: number;
  readonly rewardFormat: number;
  readonly rewardTool: number;
  /** k3 KL coefficient to the starting model (DeepEyes: 0; > 0 keeps a frozen copy). */
  readonly klCoef: number;
  /** PPO clip range ε. */
  readonly clipEps: number;
  /** Turn limit per rollout (DeepEyes: 5 in training). */
  readonly maxTurns: number;
  readonly maxTokensPerTurn: number;
  /** Held-out episodes for the before/after evaluation (greedy, seeds from 1e9). */
  readonly evalN: number;
  /** Steps between autosaves of the run (weights, optimizer, curves) to IndexedDB. */
  readonly saveEvery: number;
  /** Sampling seed of the rollouts. */
  readonly seed: number;
}

/**
 * Small enough that a step takes a few seconds on single-machine WASM, so the curves move within
 * a minute; lr is 10× the Node CLI's default because runs here are short.
 */
export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  families: ['colour', 'relation', 'shape', 'glyph'],
  difficulty: 'easy',
  scenePool: 0,
  promptsPerStep: 2,
  groupSize: 6,
  lr: 1e-4,
  temperature: 1,
  rewardAccuracy: 0.8,
  rewardFormat: 0.2,
  rewardTool: 1.2,
  klCoef: 0,
  clipEps: 0.2,
  maxTurns: 3,
  maxTokensPerTurn: 96, // a count scan with its answer is up to 77 tokens
  evalN: 24,
  saveEvery: 5,
  seed: 1,
};

type NumericKey = { [K in keyof TrainSettings]: TrainSettings[K] extends number ? K : never }[keyof TrainSettings];

/** [min, max, integer?] of every numeric setting. */
export const TRAIN_BOUNDS: Record<NumericKey, readonly [number, number, boolean]> = {
  scenePool: [0, 10_000, true],
  promptsPerStep: [1, 32, true],
  groupSize: [2, 32, true],
  lr: [0, 0.01, false],
  temperature: [0.05, 3, false],
  rewardAccuracy: [-10, 10, false],
  rewardFormat: [-10, 10, false],
  rewardTool: [-10, 10, false],
  klCoef: [0, 10, false],
  clipEps: [0.01, 10, false],
  maxTurns: [1, 10, true],
  maxTokensPerTurn: [8, 256, true],
  evalN: [0, 1000, true],
  saveEvery: [1, 1000, true],
  seed: [0, 2 ** 31 - 1, true],
};

/** Settings from untrusted input (UI, storage): each valid field kept, the rest defaulted. */
export function sanitizeTrainSettings(raw: unknown): TrainSettings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...DEFAULT_TRAIN_SETTINGS };
  for (const [key, [lo, hi, integer]] of Object.entries(TRAIN_BOUNDS)) {
    const v = r[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi && (!integer || Number.isInteger(v))) out[key] = v;
  }
  if (Array.isArray(r.families)) {
    const fams = FAMILIES.filter((f) => (r.families as unknown[]).includes(f));
    if (fams.length) out.families = fams;
  }
  if (typeof r.difficulty === 'string' && (DIFFICULTIES as readonly string[]).includes(r.difficulty)) out.difficulty = r.difficulty;
  return out as unknown as TrainSettings;
}
