/**
 * Supervised fine-tuning on oracle trajectories: plain pieces for a plain loop —
 * `learningRate(step)`, one `sftStep()`, the caller's loop logs and checkpoints.
 */
import * as tf from '../model/tf';
import { type Vlm, imageCells } from '../model/vlm';
import { FINE_SUBCELLS } from '../model/config';
import { type Adam, gradNorm } from './adam';
import type { LossBatch } from './batch';
import { centreShapeLoss, visionLoss } from './vision-pretrain';
import { type AuxHead, auxVariables } from './aux-head';
import { aimLoss, detectionLoss, gateLoss, groundLayer, groundingLoss, trustLoss } from './grounding';

export interface Schedule {
  readonly peakLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  /** Floor of the cosine decay, as a fraction of the peak. */
  readonly minLrFraction: number;
}

/** Linear warm-up, then cosine decay to minLrFraction·peak (nanoGPT's get_lr). */
export function learningRate(step: number, s: Schedule): number {
  if (step < s.warmupSteps) return (s.peakLr * (step + 1)) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  const min = s.peakLr * s.minLrFraction;
  return min + 0.5 * (s.peakLr - min) * (1 + Math.cos(Math.PI * progress));
}

/** Weighted mean next-token cross-entropy. logits [B, T, V]. */
export function weightedCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[2];
  const logp = tf.logSoftmax(logits.reshape([-1, V])); // [B·T, V]
  const picked = logp.mul(tf.oneHot(targets, V)).sum(-1); // [B·T]
  return picked.mul(weights).sum().neg().div(weights.sum().maximum(1e-6)) as tf.Scalar;
}

export interface StepResult {
  readonly loss: number;
  /** The auxiliary vision loss (NaN when there was none). */
  readonly auxLoss: number;
  /** The grounding loss, plus the count detector's where the batch teaches one (NaN when there was none). */
  readonly groundLoss: number;
  /** The extra views' vision loss (NaN when there were none). */
  readonly extraLoss: number;
  /** The aim pathway's loss, its trust's added (NaN when there was none). */
  readonly aimLoss: number;
  readonly gradNorm: number;
  /** False when the loss or gradient was NaN/Inf: the update was skipped. */
  readonly applied: boolean;
}

/**
 * Views outside the batch's sequences that the encoder learns from in the same step, through the
 * aux head's dense vision loss (train:sft --reader-views: final-zoom crops, for shape reading).
 */
export interface ExtraViews {
  readonly patches: tf.Tensor3D; // [M, rows, dim], the encoder's input
  readonly labels: tf.Tensor3D; // [M, patches, AUX_CHANNELS]
  /** Views centred on an object (--reader-scale global): its shape, one-hot [M, shapes]; adds centreShapeLoss (times the head's shape weight) to their vision loss. */
  readonly centreShapes?: tf.Tensor2D;
  /** Weight of their vision loss relative to the token cross-entropy. */
  readonly weight: number;
}

/** What an SFT step adds to the token cross-entropy; each term is off when absent. */
export interface SftStepOptions {
  /** The aux vision head: its dense loss on the batch's views (and on `extra`'s). */
  readonly aux?: AuxHead;
  /** Weight of the grounding loss (and the count detector's) when the batch has queries. */
  readonly groundWeight?: number;
  /** The count detector's weight on its positive keys (counted centres) against the rest; 1 = plain BCE. */
  readonly detectPositiveWeight?: number;
  /** Weight of the count gate's own loss (gateLoss: open at a count scan's numbers, shut elsewhere); 0 = off. */
  readonly gateWeight?: number;
  /** Weight of the aim pathway's loss (aimLoss, a fineAim model; plus its trust's, trustLoss, an aimTrust model) where the batch has aimed queries; 0 = off. */
  readonly aimWeight?: number;
  readonly extra?: ExtraViews;
}

/**
 * One optimisation step on `batch`: token cross-entropy, plus the aux vision loss when a head and
 * labels are given, plus `groundWeight` × the grounding loss when the batch has queries, plus
 * `gateWeight` × the count gate's loss (a countGate model), plus `aimWeight` × the aim's loss (a
 * fineAim model), plus the extra views' vision loss when given (with a head). Skips (and says so) when loss or
 * gradients are not finite.
 */
export async function sftStep(model: Vlm, vars: Record<string, tf.Variable>, adam: Adam, batch: LossBatch, lr: number, options: SftStepOptions = {}): Promise<StepResult> {
  const { aux, groundWeight = 0, detectPositiveWeight = 1, gateWeight = 0, aimWeight = 0, extra } = options;
  const useAux = aux !== undefined && batch.auxLabels !== null;
  const useExtra = aux !== undefined && extra !== undefined;
  const ground = groundWeight > 0 ? batch.ground : null;
  const allVars: Record<string, tf.Variable> = useAux || useExtra ? { ...vars, ...auxVariables(aux!) } : vars;
  let auxValue: tf.Scalar | null = null;
  let groundValue: tf.Scalar | null = null;
  let extraValue: tf.Scalar | null = null;
  let aimValue: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const { logits, features, pooled, attention, detection, fineDetection, gate, aim, aimTrust } = model.forwardWithFeatures(batch);
    let loss = weightedCrossEntropy(logits, batch.targets, batch.lossWeights);
    if (gateWeight > 0 && gate) {
      // lossWeights[t] trains the token after position t: the positions that write
      const written = batch.lossWeights.greater(0).toFloat().reshape(batch.ids.shape) as tf.Tensor2D;
      loss = loss.add(gateLoss(gate, batch.ground?.detect?.queries ?? null, written).mul(gateWeight));
    }
    if (aimWeight > 0 && aim && batch.ground?.aim) {
      let aiming = aimLoss(aim, batch.ground.aim);
      if (aimTrust) aiming = aiming.add(trustLoss(aim, aimTrust, batch.ground.aim));
      aimValue = tf.keep(aiming);
      loss = loss.add(aimValue.mul(aimWeight));
    }
    if (useAux && features) {
      auxValue = tf.keep(visionLoss(features, batch.auxLabels!, aux, pooled));
      loss = loss.add(auxValue.mul(aux.weight));
    }
    if (ground) {
      let grounding = groundingLoss(attention[groundLayer(attention.length)], ground);
      if (ground.detect && detection && batch.placement) {
        const [B, T] = batch.ids.shape;
        const imageKeys = imageCells(batch.placement, B, T, model.tokensPerImage).sum(-1) as tf.Tensor2D;
        grounding = grounding.add(detectionLoss(detection, ground.detect, imageKeys, detectPositiveWeight));
        if (fineDetection && ground.detect.fine) {
          const { rows, targets, queries } = ground.detect.fine;
          const fineKeys = imageKeys.reshape([B, T, 1]).tile([1, 1, FINE_SUBCELLS]).reshape([B, T * FINE_SUBCELLS]) as tf.Tensor2D;
          const atEntries = tf.matMul(rows, fineDetection) as tf.Tensor3D; // [B, Q, 4T]
          grounding = grounding.add(detectionLoss(atEntries, { targets, queries }, fineKeys, detectPositiveWeight));
        }
      }
      groundValue = tf.keep(grounding);
      loss = loss.add(groundValue.mul(groundWeight));
    }
    if (useExtra) {
      const seen = model.encode(extra.patches);
      let seenLoss = visionLoss(seen.features, extra.labels, aux!, seen.pooled);
      if (extra.centreShapes) seenLoss = seenLoss.add(centreShapeLoss(seen.features, extra.centreShapes, aux!).mul(aux!.shapeWeight));
      extraValue = tf.keep(seenLoss);
      loss = loss.add(extraValue.mul(extra.weight));
    }
    return loss;
  }, Object.values(allVars));
  try {
    const loss = (await value.data())[0];
    const auxNumber = auxValue ? (await (auxValue as tf.Scalar).data())[0] : NaN;
    const groundNumber = groundValue ? (await (groundValue as tf.Scalar).data())[0] : NaN;
    const extraNumber = extraValue ? (await (extraValue as tf.Scalar).data())[0] : NaN;
    const aimNumber = aimValue ? (await (aimValue as tf.Scalar).data())[0] : NaN;
    // variableGrads keys gradients by variable name; map back to weight names
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(allVars)) if (grads[v.name]) byName[name] = grads[v.name];
    const norm = await gradNorm(byName);
    const applied = Number.isFinite(loss) && Number.isFinite(norm);
    if (applied) adam.apply(allVars, byName, lr, norm);
    return { loss, auxLoss: auxNumber, groundLoss: groundNumber, extraLoss: extraNumber, aimLoss: aimNumber, gradNorm: norm, applied };
  } finally {
    value.dispose();
    (auxValue as tf.Scalar | null)?.dispose();
    (groundValue as tf.Scalar | null)?.dispose();
    (extraValue as tf.Scalar | null)?.dispose();
    (aimValue as tf.Scalar | null)?.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
}

/** Trainable copies of a weight map (the originals are left alone). */
export function toVariables(weights: Record<string, tf.Tensor>): Record<string, tf.Variable> {
  const vars: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(weights)) vars[name] = tf.variable(t, true);
  return vars;
}
