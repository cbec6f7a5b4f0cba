/** The training-only heads that read the dense vision labels (src/train/vision-labels.ts). */
import * as tf from '../model/tf';
import { COLOUR_NAMES } from '../world/types';

/** Training-only head that reads the dense vision labels from the encoder's patch features. */
export interface AuxHead {
  readonly w: tf.Variable; // [Cv, channels]
  readonly b: tf.Variable; // [channels]
  /** Colour-presence head on the colour pool's features: [Cp, colours], [colours] (models with a pool). */
  readonly poolW: tf.Variable | null;
  readonly poolB: tf.Variable | null;
  /** Weight of the auxiliary loss relative to the token cross-entropy. */
  readonly weight: number;
  /** Extra weight of its shape term within it (the encoder's shape features lag: a frozen linear probe reads 70%). */
  readonly shapeWeight: number;
  /** Weight of its object-centre term within it (0: left out, as before the channel existed). */
  readonly centreWeight: number;
}

export function createAuxHead(visionDim: number, channels: number, weight: number, colourPool = 0, shapeWeight = 1, centreWeight = 0): AuxHead {
  // each in a tidy: the initial value's own tensor is released (the variable keeps a copy)
  const variable = (init: () => tf.Tensor) => tf.tidy(() => tf.variable(init()));
  return {
    w: variable(() => tf.randomNormal([visionDim, channels], 0, 0.02)), b: variable(() => tf.zeros([channels])),
    poolW: colourPool > 0 ? variable(() => tf.randomNormal([colourPool, COLOUR_NAMES.length], 0, 0.02)) : null,
    poolB: colourPool > 0 ? variable(() => tf.zeros([COLOUR_NAMES.length])) : null,
    weight,
    shapeWeight,
    centreWeight,
  };
}

/**
 * Assigns each of the head's variables that `saved` holds with the same shape (a resumed or grown
 * run). One saved with fewer output channels (before a channel was added) fills the first ones;
 * the new channels keep their initialisation.
 */
export function restoreAuxHead(aux: AuxHead, saved: Record<string, tf.Tensor>): void {
  for (const [name, v] of Object.entries(auxVariables(aux))) {
    const t = saved[name];
    if (!t || t.rank !== v.rank) continue;
    if (t.shape.join() === v.shape.join()) {
      v.assign(t);
      continue;
    }
    const last = v.rank - 1;
    const kept = t.shape[last];
    if (t.shape.slice(0, last).join() !== v.shape.slice(0, last).join() || kept > v.shape[last]) continue;
    // the saved channels, then the variable's own initialisation of the new ones
    const newBegin = v.shape.map((_, i) => (i === last ? kept : 0));
    const newSize = v.shape.map((d, i) => (i === last ? d - kept : d));
    tf.tidy(() => v.assign(tf.concat([t, v.slice(newBegin, newSize)], last)));
  }
}

/** The head's variables by checkpoint name (aux.w, aux.b, aux.pool.w, aux.pool.b). */
export function auxVariables(aux: AuxHead): Record<string, tf.Variable> {
  return { 'aux.w': aux.w, 'aux.b': aux.b, ...(aux.poolW && aux.poolB ? { 'aux.pool.w': aux.poolW, 'aux.pool.b': aux.poolB } : {}) };
}
