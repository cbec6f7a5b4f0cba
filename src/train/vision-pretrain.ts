/**
 * Pre-training of the vision encoder alone on the dense labels of vision-labels.ts. An encoder
 * step costs about a hundredth of a full sequence step, so the encoder can see ~100k views
 * (global views and crops) before SFT, instead of the few thousand crops SFT alone gives it.
 */
import * as tf from '../model/tf';
import { dense } from '../model/ops';
import type { Vlm } from '../model/vlm';
import { COLOUR_NAMES, GLYPHS, SHAPES } from '../world/types';
import { type Adam, gradNorm } from './adam';
import { type AuxHead, auxVariables } from './aux-head';
import { AUX_CHANNELS, CENTRE_CHANNEL } from './vision-labels';

const SHAPE_START = COLOUR_NAMES.length;
const GLYPH_START = SHAPE_START + SHAPES.length;

/**
 * Softmax cross-entropy over `count` class channels from `start`, at the patches that carry a
 * label only (one object centre per patch), averaged over those patches.
 */
function classLoss(logits: tf.Tensor2D, labels: tf.Tensor2D, start: number, count: number): tf.Scalar {
  const l = logits.slice([0, start], [-1, count]);
  const y = labels.slice([0, start], [-1, count]);
  const perPatch = y.mul(tf.logSoftmax(l)).sum(-1).neg(); // 0 where the patch has no label
  return perPatch.sum().div(y.sum().maximum(1)) as tf.Scalar;
}

/**
 * The dense vision loss: sigmoid cross-entropy of colour presence at every patch (from the
 * features, and from the colour pool's features when the model has one), plus softmax
 * cross-entropy of the shape (times the head's shape weight) and of the glyph at each object's centre patch,
 * plus (times the head's centre weight) sigmoid cross-entropy of "an object's centre is here". (One sigmoid loss
 * over all channels let "no glyph anywhere" drown the few labelled patches: glyph accuracy
 * stayed at chance for 25k views.)
 */
export function visionLoss(features: tf.Tensor3D, labels: tf.Tensor3D, head: AuxHead, pooled: tf.Tensor3D | null = null): tf.Scalar {
  const logits = dense(features, head.w, head.b).reshape([-1, AUX_CHANNELS]) as tf.Tensor2D;
  const y = labels.reshape([-1, AUX_CHANNELS]) as tf.Tensor2D;
  const colourLabels = y.slice([0, 0], [-1, SHAPE_START]);
  const colour = tf.losses.sigmoidCrossEntropy(colourLabels, logits.slice([0, 0], [-1, SHAPE_START]));
  let loss = colour.add(classLoss(logits, y, SHAPE_START, SHAPES.length).mul(head.shapeWeight)).add(classLoss(logits, y, GLYPH_START, GLYPHS.length)) as tf.Scalar;
  if (head.centreWeight > 0) {
    const centre = tf.losses.sigmoidCrossEntropy(y.slice([0, CENTRE_CHANNEL], [-1, 1]), logits.slice([0, CENTRE_CHANNEL], [-1, 1]));
    loss = loss.add(centre.mul(head.centreWeight));
  }
  if (!pooled || !head.poolW || !head.poolB) return loss;
  // the colour pool is taught colour presence directly, so it learns to see specks from the start
  const poolLogits = dense(pooled, head.poolW, head.poolB).reshape([-1, SHAPE_START]);
  return loss.add(tf.losses.sigmoidCrossEntropy(colourLabels, poolLogits)) as tf.Scalar;
}

export interface VisionMetrics {
  /** Patches labelled with a glyph / shape, and the fraction where the head's argmax is right. */
  readonly glyphPatches: number;
  readonly glyphAccuracy: number;
  readonly shapePatches: number;
  readonly shapeAccuracy: number;
}

/** Argmax accuracy of the head over the glyph and shape channels, at labelled patches only. */
export async function visionMetrics(features: tf.Tensor3D, labels: tf.Tensor3D, head: AuxHead): Promise<VisionMetrics> {
  const [logits, truth] = tf.tidy(() => [dense(features, head.w, head.b).reshape([-1, AUX_CHANNELS]), labels.reshape([-1, AUX_CHANNELS])]);
  const [l, t] = await Promise.all([logits.data(), truth.data()]);
  logits.dispose(), truth.dispose();
  const score = (start: number, count: number) => {
    let n = 0;
    let right = 0;
    for (let p = 0; p < l.length / AUX_CHANNELS; p++) {
      const o = p * AUX_CHANNELS + start;
      let truthIdx = -1;
      let best = 0;
      for (let c = 0; c < count; c++) {
        if (t[o + c] > 0.5) truthIdx = c;
        if (l[o + c] > l[o + best]) best = c;
      }
      if (truthIdx < 0) continue;
      n++;
      if (best === truthIdx) right++;
    }
    return { n, accuracy: n ? right / n : NaN };
  };
  const g = score(GLYPH_START, GLYPHS.length);
  const s = score(SHAPE_START, SHAPES.length);
  return { glyphPatches: g.n, glyphAccuracy: g.accuracy, shapePatches: s.n, shapeAccuracy: s.accuracy };
}

/**
 * The mean of the four features around the view's centre, [M, C], from features [M, tokens, C]
 * in row-major grid order (a one-token-per-patch preset). A slice, not a gather: the WASM backend
 * has no gradient for gather.
 */
export function centreFeatures(features: tf.Tensor3D): tf.Tensor2D {
  const [m, tokens, c] = features.shape;
  const grid = Math.round(Math.sqrt(tokens));
  return features.reshape([m, grid, grid, c]).slice([0, grid / 2 - 1, grid / 2 - 1, 0], [-1, 2, 2, -1]).mean([1, 2]) as tf.Tensor2D;
}

/** The aux head's shape logits read from the four centre tokens' mean, [M, shapes]. */
function centreShapeLogits(features: tf.Tensor3D, head: AuxHead): tf.Tensor2D {
  const w = head.w.slice([0, SHAPE_START], [-1, SHAPES.length]);
  return dense(centreFeatures(features), w, head.b.slice([SHAPE_START], [SHAPES.length])) as tf.Tensor2D;
}

/**
 * Softmax cross-entropy of the shape of the object each view is centred on (`shapes`, one-hot
 * [M, shapes]), read by the aux head's shape channels from the four centre tokens: stage 88's
 * probe as a lesson. Unlike the dense labels' shape term, it asks for one object's shape from
 * all the tokens it straddles, wherever the grid cuts it.
 */
export function centreShapeLoss(features: tf.Tensor3D, shapes: tf.Tensor2D, head: AuxHead): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(shapes, centreShapeLogits(features, head)) as tf.Scalar;
}

/** The fraction of views whose centred object's shape the head names (argmax), as centreShapeLoss reads it. */
export async function centreShapeAccuracy(features: tf.Tensor3D, shapes: tf.Tensor2D, head: AuxHead): Promise<number> {
  const right = tf.tidy(() => centreShapeLogits(features, head).argMax(-1).equal(shapes.argMax(-1)).toFloat().mean());
  try {
    return (await right.data())[0];
  } finally {
    right.dispose();
  }
}

export interface VisionStepResult {
  readonly loss: number;
  readonly gradNorm: number;
  readonly applied: boolean;
}

/** One Adam step of encoder + head on a batch of views; skipped when not finite. */
export async function visionStep(model: Vlm, vars: Record<string, tf.Variable>, head: AuxHead, adam: Adam, patches: tf.Tensor3D, labels: tf.Tensor3D, lr: number): Promise<VisionStepResult> {
  const all: Record<string, tf.Variable> = { ...vars, ...auxVariables(head) };
  const { value, grads } = tf.variableGrads(() => {
    const { features, pooled } = model.encode(patches);
    return visionLoss(features, labels, head, pooled);
  }, Object.values(all));
  try {
    const loss = (await value.data())[0];
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(all)) if (grads[v.name]) byName[name] = grads[v.name];
    const norm = await gradNorm(byName);
    const applied = Number.isFinite(loss) && Number.isFinite(norm);
    if (applied) adam.apply(all, byName, lr, norm);
    return { loss, gradNorm: norm, applied };
  } finally {
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
}
