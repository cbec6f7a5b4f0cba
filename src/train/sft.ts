/**
 * Supervised fine-tuning on oracle trajectories: plain pieces for a plain loop —
 * `learningRate(step)`, one `sftStep()`, the caller's loop logs and checkpoints.
 */
import * as tf from '../model/tf';
import type { Vlm } from '../model/vlm';
import { type Adam, gradNorm } from './adam';
import type { LossBatch } from './batch';

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
  readonly gradNorm: number;
  /** False when the loss or gradient was NaN/Inf: the update was skipped. */
  readonly applied: boolean;
}

/** One optimisation step on `batch`. Skips (and says so) when loss or gradients are not finite. */
export async function sftStep(model: Vlm, vars: Record<string, tf.Variable>, adam: Adam, batch: LossBatch, lr: number): Promise<StepResult> {
  const { value, grads } = tf.variableGrads(
    () => weightedCrossEntropy(model.forward(batch), batch.targets, batch.lossWeights),
    Object.values(vars),
  );
  try {
    const loss = (await value.data())[0];
    // variableGrads keys gradients by variable name; map back to weight names
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(vars)) if (grads[v.name]) byName[name] = grads[v.name];
    const norm = await gradNorm(byName);
    const applied = Number.isFinite(loss) && Number.isFinite(norm);
    if (applied) adam.apply(vars, byName, lr, norm);
    return { loss, gradNorm: norm, applied };
  } finally {
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
}

/** Trainable copies of a weight map (the originals are left alone). */
export function toVariables(weights: Record<string, tf.Tensor>): Record<string, tf.Variable> {
  const vars: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(weights)) vars[name] = tf.variable(t, true);
  return vars;
}
