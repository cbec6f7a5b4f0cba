/**
 * GRPO fine-tuning as plain pieces the training worker calls in a loop (the same steps as
 * scripts/train-rl.ts): sample P prompts from the world, G rollouts each through the agent loop,
 * DeepEyes' reward, and one clipped policy-gradient update on the groups that carry signal.
 * No DOM and no messages here (the canvas factory is passed in), so Node tests drive it too.
 */
import * as tf from '../model/tf';
import { SquintModel } from '../model/squint-model';
import { modelFiles } from '../model/load';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeOptions, environmentOnlyIds } from '../agent/loop';
import { Adam } from '../train/adam';
import { toVariables } from '../train/sft';
import { type EvalReport, evaluate } from '../rl/eval';
import { type GrpoOptions, type GrpoStepResult, type PolicySample, disposeGrpoBatch, grpoStep, makeGrpoBatch } from '../rl/grpo';
import { type RolloutGroup, type RolloutStats, rolloutGroup, rolloutStats } from '../rl/rollout';
import type { CreateCanvas } from '../world/canvas';
import { generateSample } from '../world/generate';
import { createRng, hashSeed } from '../world/rng';
import { BACKGROUND_STYLES, type Sample } from '../world/types';
import { EVAL_SEED, HELD_OUT_BACKGROUND, HELD_OUT_TARGET_VIEW, seedDifficulty, trainingSample } from '../world/seeds';
import { DIFFICULTY_RANGE, type TrainSettings } from './train-settings';

/** RL prompts come from 5e8 upward (SFT trains on 0..~1e6); evaluation from 1e9, as `npm run eval`. */
export const RL_SEED = 500_000_000;
const TRAIN_BACKGROUNDS = BACKGROUND_STYLES.filter((b) => b !== HELD_OUT_BACKGROUND);

/** Where a run stands: enough, with the weights and Adam's moments, to resume it exactly. */
export interface TrainerPosition {
  readonly step: number;
  /** Next prompt index (the prompt seed is RL_SEED + index, modulo the scene pool). */
  readonly dataCursor: number;
  /** Adam's update count (bias correction). */
  readonly adamStep: number;
}

export interface StepReport {
  readonly step: number;
  readonly stats: RolloutStats;
  /** Means over the step's updates (null when no group carried signal). */
  readonly loss: number | null;
  readonly kl: number | null;
  readonly clipFrac: number | null;
  readonly gradNorm: number | null;
  /** Updates skipped because the loss or gradient was NaN/Inf (weights untouched). */
  readonly skippedUpdates: number;
  readonly rolloutsPerS: number;
  readonly rolloutMs: number;
  readonly updateMs: number;
  readonly groups: readonly RolloutGroup[];
}

/** The prompt for index i: a family among the chosen ones and a difficulty within the range. */
export function promptSample(index: number, settings: TrainSettings): Sample {
  const pooled = settings.scenePool > 0 ? index % settings.scenePool : index;
  const seed = RL_SEED + pooled;
  const rng = createRng(hashSeed(seed, 31));
  const [lo, hi] = DIFFICULTY_RANGE[settings.difficulty];
  return trainingSample(seed, { families: [rng.pick(settings.families)], backgrounds: TRAIN_BACKGROUNDS, difficulty: rng.float(lo, hi) }, HELD_OUT_TARGET_VIEW);
}

/** The held-out set: the same families and difficulty range, seeds from 1e9 (never trained on). */
export function* evalSamples(n: number, settings: TrainSettings): Generator<Sample> {
  const [lo, hi] = DIFFICULTY_RANGE[settings.difficulty];
  for (let i = 0; i < n; i++) {
    const s = EVAL_SEED + i;
    yield generateSample(s, { families: settings.families, difficulty: lo + (hi - lo) * seedDifficulty(s) });
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export class GrpoTrainer {
  readonly policy: SquintModel;
  readonly settings: TrainSettings;
  private readonly vars: Record<string, tf.Variable>;
  private readonly adam = new Adam();
  /** The starting weights, frozen (only with a KL term: it costs a forward per update). */
  private readonly reference: SquintModel | null;
  private readonly createCanvas: CreateCanvas;
  private position: TrainerPosition;
  /** A reader of the weights in progress (a save): the next update waits for it. */
  private reading: Promise<unknown> = Promise.resolve();
  /** The update in progress: a reader waits for it. */
  private updating: Promise<unknown> = Promise.resolve();

  /**
   * Takes ownership of `start` (its weights become the trainable variables' initial values and,
   * with a KL term, the frozen reference). `resume` restores a saved position and Adam's moments
   * (the tensors are copied; the caller disposes them) and, for the KL term, takes ownership of
   * the run's original starting model as the reference (else the resumed weights are it).
   */
  constructor(
    start: SquintModel, settings: TrainSettings, createCanvas: CreateCanvas,
    resume?: { position: TrainerPosition; optimizer: Record<string, tf.Tensor>; reference?: SquintModel },
  ) {
    this.settings = settings;
    this.createCanvas = createCanvas;
    this.vars = toVariables(start.vlm.weights);
    this.policy = new SquintModel(start.config, start.tokenizer, this.vars);
    const reference = resume?.reference ?? start;
    if (reference !== start) start.dispose(); // the variables hold their own references to the data
    if (settings.klCoef > 0) this.reference = reference;
    else {
      this.reference = null;
      reference.dispose();
    }
    this.position = resume?.position ?? { step: 0, dataCursor: 0, adamStep: 0 };
    if (resume) this.adam.restore(resume.position.adamStep, resume.optimizer);
  }

  get step(): number {
    return this.position.step;
  }

  get state(): TrainerPosition {
    return { ...this.position, adamStep: this.adam.step };
  }

  private episodeOptions(seed: number, signal?: AbortSignal): EpisodeOptions {
    const s = this.settings;
    return {
      ...DEFAULT_EPISODE_OPTIONS,
      maxTurns: s.maxTurns,
      maxTokensPerTurn: s.maxTokensPerTurn,
      // the tool stays on: the loop masks <tool_call> otherwise, and the recorded log-probs
      // would not be those of the policy the loss recomputes
      toolEnabled: true,
      sampling: { temperature: s.temperature, topP: 1 },
      seed,
      signal,
    };
  }

  /**
   * One GRPO step. Resolves null when `signal` aborted it during the rollouts (nothing is
   * trained on a cut-short batch and the position does not move).
   */
  async trainStep(signal?: AbortSignal, onGroup?: (g: RolloutGroup, index: number) => void): Promise<StepReport | null> {
    const s = this.settings;
    const t0 = performance.now();
    const groups: RolloutGroup[] = [];
    for (let p = 0; p < s.promptsPerStep; p++) {
      if (signal?.aborted) return null;
      const g = await rolloutGroup(this.policy, promptSample(this.position.dataCursor + p, s), this.createCanvas, {
        groupSize: s.groupSize,
        rewardWeights: { accuracy: s.rewardAccuracy, format: s.rewardFormat, tool: s.rewardTool },
        episode: this.episodeOptions(hashSeed(s.seed, this.position.step), signal),
      });
      if (signal?.aborted) return null;
      groups.push(g);
      onGroup?.(g, p);
    }
    const rolloutMs = performance.now() - t0;
    const t1 = performance.now();
    const results = await this.update(groups);
    const updateMs = performance.now() - t1;
    this.position = { step: this.position.step + 1, dataCursor: this.position.dataCursor + s.promptsPerStep, adamStep: this.adam.step };
    const stats = rolloutStats(groups);
    const applied = results.filter((r) => r.applied);
    return {
      step: this.position.step,
      stats,
      loss: mean(applied.map((r) => r.loss)),
      kl: mean(applied.flatMap((r) => (r.kl === null ? [] : [r.kl]))),
      clipFrac: mean(applied.map((r) => r.clipFrac)),
      gradNorm: mean(results.map((r) => r.gradNorm)),
      skippedUpdates: results.length - applied.length,
      rolloutsPerS: (stats.rollouts * 1000) / Math.max(1, rolloutMs),
      rolloutMs,
      updateMs,
      groups,
    };
  }

  /** One update on the informative groups' rollouts, as length-sorted micro-batches of 8. */
  private async update(groups: readonly RolloutGroup[]): Promise<GrpoStepResult[]> {
    const samples = groups
      .filter((g) => g.informative)
      .flatMap((g) => g.rollouts.map((r) => ({ sequence: r.trajectory.sequence, advantage: r.advantage })))
      .sort((a, b) => a.sequence.ids.length - b.sequence.ids.length);
    if (!samples.length) return [];
    await this.reading;
    const done = this.updateNow(samples);
    this.updating = done.catch(() => undefined);
    return done;
  }

  private async updateNow(samples: PolicySample[]): Promise<GrpoStepResult[]> {
    const m = this.policy;
    const options: GrpoOptions = { clipEps: this.settings.clipEps, klCoef: this.settings.klCoef, temperature: this.settings.temperature, maskedIds: environmentOnlyIds(m.tokenizer) };
    const micro = 8;
    const batches = Array.from({ length: Math.ceil(samples.length / micro) }, (_, j) =>
      makeGrpoBatch(samples.slice(j * micro, (j + 1) * micro), m.vlm.imageTokenId, m.tokensPerImage, m.tokenizer.special('<pad>'), m.patchShape));
    try {
      return [await grpoStep(m.vlm, this.vars, this.adam, batches, this.settings.lr, options, this.reference?.vlm)];
    } finally {
      batches.forEach(disposeGrpoBatch);
    }
  }

  /** Greedy episodes on the held-out set (up to 10 turns, as `npm run eval`). */
  async evaluate(n: number, signal?: AbortSignal, onEpisode?: (done: number) => void): Promise<EvalReport> {
    const { report } = await evaluate(this.policy, evalSamples(n, this.settings), this.createCanvas, { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 10, signal }, (_, i) => onEpisode?.(i + 1));
    return report;
  }

  /**
   * The current weights as a model directory (float32: fine-tuning steps are below float16's
   * resolution). Safe while a step runs: that step's update waits until the files are read.
   */
  modelFiles(card: string): Promise<Map<string, Uint8Array>> {
    const files = this.updating.then(() => modelFiles(this.policy, 'float32', card, this.vars));
    this.reading = files.catch(() => undefined);
    return files;
  }

  /** Adam's moments as one binary blob plus its tfjs weight specs. */
  async optimizerFiles(): Promise<{ data: Uint8Array; specs: unknown }> {
    const { data, specs } = await tf.io.encodeWeights(this.adam.state());
    return { data: new Uint8Array(data), specs };
  }

  dispose(): void {
    this.adam.dispose();
    for (const v of Object.values(this.vars)) v.dispose();
    this.reference?.dispose();
  }
}

/** Adam's moments back from optimizerFiles' output (the caller disposes them). */
export function decodeOptimizer(data: Uint8Array, specs: unknown): Record<string, tf.Tensor> {
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return tf.io.decodeWeights(buffer, specs as tf.io.WeightsManifestEntry[]) as Record<string, tf.Tensor>;
}
