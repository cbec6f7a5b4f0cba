/**
 * The GRPO update (DeepEyes' settings by default): PPO's clipped surrogate on the model-written
 * tokens of sampled episodes, each token weighted by its episode's group advantage,
 * token-mean over the batch, optional k3 KL to a frozen reference, Adam with global-norm
 * clipping. Prompt and observation tokens (modelMask 0) are masked out of every term.
 *
 * Temperature: rollouts store log-softmax(logits / τ) of each sampled token, so the log-probs
 * recomputed here divide the logits by the same τ; the ratio is then exactly 1 (up to float
 * noise between the KV-cached decode and the full forward) on the first update of a batch.
 */
import type { TokenSequence } from '../agent/trajectory';
import * as tf from '../model/tf';
import type { TrainBatch, Vlm } from '../model/vlm';
import { type Adam, gradNorm } from '../train/adam';
import { type LossBatch, disposeBatch, makeBatch } from '../train/batch';

export interface GrpoOptions {
  /** PPO clip range ε: ratios outside [1−ε, 1+ε] stop pulling further (DeepEyes: 0.2). */
  readonly clipEps: number;
  /** Weight of the k3 KL estimate to the reference policy (DeepEyes: 0, no reference needed). */
  readonly klCoef: number;
  /** The rollouts' sampling temperature (logits are divided by it, as when sampling). */
  readonly temperature: number;
  /**
   * Token ids the rollouts could not sample (loop.environmentOnlyIds): masked the same way here.
   * The loop's answer-only mask (a last turn with no room for a crop, rare) is not replayed: those
   * few tokens' ratios are computed without it and clipped like any other.
   */
  readonly maskedIds: readonly number[];
}

export const DEFAULT_GRPO: GrpoOptions = { clipEps: 0.2, klCoef: 0, temperature: 1, maskedIds: [] };

/** One rollout as the loss sees it. */
export interface PolicySample {
  readonly sequence: TokenSequence;
  readonly advantage: number;
}

export interface GrpoBatch extends LossBatch {
  /** Sampling log-prob of each target token [B·T], aligned with `targets` (0 where masked). */
  readonly oldLogprobs: tf.Tensor1D;
  /** The advantage of the episode each target belongs to [B·T]. */
  readonly advantages: tf.Tensor1D;
}

/**
 * Padded tensors for a GRPO step. Position t predicts ids[t+1] (makeBatch's alignment), so its
 * mask, old log-prob and advantage are those of token t+1; lossWeights is the model mask.
 */
export function makeGrpoBatch(samples: readonly PolicySample[], imageId: number, tokensPerImage: number, padId: number, patchShape: [number, number]): GrpoBatch {
  // A sampling policy may itself write `<image>`: that is a plain text token (the session embeds
  // it without an image), but makeBatch would read it as the start of an image block. Hide such
  // tokens from makeBatch's image placement, then put them back into ids and targets.
  const written = (s: PolicySample, t: number) => s.sequence.ids[t] === imageId && s.sequence.modelMask[t] === 1;
  const base = makeBatch(
    samples.map((s) => ({ ids: s.sequence.ids.map((id, t) => (written(s, t) ? padId : id)), weights: s.sequence.modelMask, images: s.sequence.images })),
    imageId, tokensPerImage, padId, patchShape,
  );
  const [B, T] = base.ids.shape;
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(padId);
  const old = new Float32Array(B * T);
  const adv = new Float32Array(B * T);
  samples.forEach((s, b) => {
    const seq = s.sequence;
    for (let t = 0; t < seq.ids.length; t++) {
      ids[b * T + t] = seq.ids[t];
      if (t + 1 === seq.ids.length) break;
      targets[b * T + t] = seq.ids[t + 1];
      if (seq.modelMask[t + 1]) old[b * T + t] = seq.logprobs[t + 1];
      adv[b * T + t] = s.advantage;
    }
  });
  base.ids.dispose();
  base.targets.dispose();
  return {
    ...base,
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    targets: tf.tensor1d(targets, 'int32'),
    oldLogprobs: tf.tensor1d(old),
    advantages: tf.tensor1d(adv),
  };
}

export function disposeGrpoBatch(batch: GrpoBatch): void {
  disposeBatch(batch);
  batch.oldLogprobs.dispose();
  batch.advantages.dispose();
}

/** log π_τ(target) at every position: log-softmax(logits / τ) picked at the target. → [B·T] */
export function targetLogprobs(model: Vlm, batch: TrainBatch & { readonly targets: tf.Tensor1D }, temperature: number, maskedIds: readonly number[] = []): tf.Tensor1D {
  return tf.tidy(() => {
    const logits = model.forward(batch); // [B, T, V]
    const V = logits.shape[2];
    // the same vocabulary mask as the rollout's sampling (environment-only tokens)
    const blocked = new Float32Array(V);
    for (const id of maskedIds) blocked[id] = -1e9;
    const logp = tf.logSoftmax(logits.reshape([-1, V]).div(temperature).add(tf.tensor1d(blocked))); // [B·T, V]
    // one-hot pick rather than gather: WASM has no gradient for gather
    return logp.mul(tf.oneHot(batch.targets, V)).sum(-1) as tf.Tensor1D; // [B·T]
  });
}

/** Mean of x [B·T] over the masked-in positions. */
const maskedMean = (x: tf.Tensor, mask: tf.Tensor1D): tf.Scalar => x.mul(mask).sum().div(mask.sum().maximum(1)) as tf.Scalar;

/**
 * The GRPO objective from current log-probs `logp` [B·T] (with gradient) and, for the KL
 * term, the reference's `refLogp` [B·T] (constant; null = no KL). Creates intermediates: call
 * it inside tf.tidy or variableGrads.
 */
export function grpoObjective(logp: tf.Tensor1D, batch: GrpoBatch, refLogp: tf.Tensor1D | null, options: GrpoOptions): { loss: tf.Scalar; kl: tf.Scalar | null; clipFrac: tf.Scalar } {
  const mask = batch.lossWeights; // [B·T] 1 on model-written targets
  // masking the log-ratio (not just the loss) keeps exp() finite at prompt/pad positions
  const ratio = logp.sub(batch.oldLogprobs).mul(mask).exp(); // [B·T]
  const A = batch.advantages; // [B·T]
  const unclipped = ratio.mul(A);
  const clipped = ratio.clipByValue(1 - options.clipEps, 1 + options.clipEps).mul(A);
  const surrogate = tf.minimum(unclipped, clipped); // [B·T] pessimistic bound
  let loss = maskedMean(surrogate, mask).neg();
  const clipFrac = maskedMean(tf.less(clipped, unclipped).toFloat(), mask);
  let kl: tf.Scalar | null = null;
  if (refLogp) {
    // k3 = exp(ref − logp) − (ref − logp) − 1 ≥ 0: unbiased, low variance (Schulman); clamped as verl does
    const d = refLogp.sub(logp).mul(mask); // [B·T]
    kl = maskedMean(d.exp().sub(d).sub(1).clipByValue(-10, 10), mask);
    if (options.klCoef !== 0) loss = loss.add(kl.mul(options.klCoef));
  }
  return { loss, kl, clipFrac };
}

export interface GrpoStepResult {
  readonly loss: number;
  /** k3 KL to the reference (null without one: DeepEyes trains with none). */
  readonly kl: number | null;
  /** Share of model tokens whose ratio was clipped. */
  readonly clipFrac: number;
  readonly gradNorm: number;
  /** False when the loss or gradient was NaN/Inf: the update was skipped. */
  readonly applied: boolean;
}

/** Loss, metrics and gradients of one micro-batch, the loss pre-scaled by its share of the tokens. */
async function microBatchGrads(
  model: Vlm, vars: Record<string, tf.Variable>, batch: GrpoBatch, share: number, options: GrpoOptions, reference?: Vlm,
): Promise<{ loss: number; kl: number | null; clipFrac: number; grads: Record<string, tf.Tensor> }> {
  const refLogp = reference ? targetLogprobs(reference, batch, options.temperature, options.maskedIds) : null;
  const metrics: tf.Tensor[] = []; // [clipFrac, kl?] kept out of variableGrads' tidy
  const { value, grads } = tf.variableGrads(() => {
    const o = grpoObjective(targetLogprobs(model, batch, options.temperature, options.maskedIds), batch, refLogp, options);
    metrics.push(tf.keep(o.clipFrac));
    if (o.kl) metrics.push(tf.keep(o.kl));
    return o.loss.mul(share) as tf.Scalar;
  }, Object.values(vars));
  try {
    const [loss, clipFrac, kl] = await Promise.all([value, ...metrics].map(async (m) => (await m.data())[0]));
    // variableGrads keys gradients by variable name; map back to weight names
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(vars)) if (grads[v.name]) byName[name] = grads[v.name];
    return { loss, kl: kl ?? null, clipFrac, grads: byName };
  } finally {
    value.dispose();
    for (const m of metrics) m.dispose();
    refLogp?.dispose();
  }
}

/**
 * One GRPO update of `vars` (the weights `model` reads) on one batch, or on several
 * micro-batches whose gradients are accumulated: each micro-batch's token-mean is weighted by
 * its share of the model tokens, so the update equals the one on a single batch of all of
 * them, with less padding when the micro-batches group sequences of similar length. With a
 * `reference` model the KL to it is measured (and penalised when klCoef ≠ 0). Skips the
 * update when loss or gradients are not finite.
 */
export async function grpoStep(
  model: Vlm, vars: Record<string, tf.Variable>, adam: Adam, batches: GrpoBatch | readonly GrpoBatch[], lr: number,
  options: GrpoOptions = DEFAULT_GRPO, reference?: Vlm,
): Promise<GrpoStepResult> {
  const list: readonly GrpoBatch[] = Array.isArray(batches) ? batches : [batches];
  if (list.length === 0) throw new Error('grpoStep needs at least one batch');
  const total = Math.max(1, list.reduce((n, b) => n + b.trainedTokens, 0));
  const sum: Record<string, tf.Tensor> = {}; // accumulated gradients by weight name
  let loss = 0;
  let kl: number | null = null;
  let clipFrac = 0;
  try {
    for (const batch of list) {
      const share = batch.trainedTokens / total;
      const micro = await microBatchGrads(model, vars, batch, share, options, reference);
      loss += micro.loss;
      clipFrac += share * micro.clipFrac;
      if (micro.kl !== null) kl = (kl ?? 0) + share * micro.kl;
      for (const [name, g] of Object.entries(micro.grads)) {
        const prev = sum[name];
        sum[name] = prev ? tf.tidy(() => prev.add(g)) : g;
        if (prev) prev.dispose(), g.dispose();
      }
    }
    const norm = await gradNorm(sum);
    const applied = Number.isFinite(loss) && Number.isFinite(norm);
    if (applied) adam.apply(vars, sum, lr, norm);
    return { loss, kl, clipFrac, gradNorm: norm, applied };
  } finally {
    for (const g of Object.values(sum)) g.dispose();
  }
}
