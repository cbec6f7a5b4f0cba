/** Random initialisation (GPT-2 style): N(0, 0.02) matrices, zero biases, unit LayerNorm gains. */
import * as tf from './tf';
import { type ModelConfig, weightShapes } from './config';
import type { WeightMap } from './vlm';

export function initWeights(config: ModelConfig, seed = 1): WeightMap {
  const weights: WeightMap = {};
  let s = seed;
  for (const [name, shape] of Object.entries(weightShapes(config))) {
    const last = name.split('.').pop()!;
    if (last === 'g') weights[name] = tf.ones(shape);
    else if (last === 'b' || last.startsWith('b')) weights[name] = tf.zeros(shape);
    else if (name === 'vision.pool.out' || name === 'decoder.pointer' || name === 'decoder.readout' || name === 'decoder.mass') {
      // zero: a model grown from one without the pathway starts out computing exactly what it did
      weights[name] = tf.zeros(shape);
    } else if (name === 'projector.pos') {
      // a row vector plus a column vector per grid cell, so "upper" and "left" are separate
      // directions from the start; std 0.6 gives a norm about a quarter of a trained image token's
      const side = Math.sqrt(shape[0]);
      const rows = tf.randomNormal([side, 1, shape[1]], 0, 0.6, 'float32', s++);
      const cols = tf.randomNormal([1, side, shape[1]], 0, 0.6, 'float32', s++);
      weights[name] = rows.add(cols).reshape(shape);
      tf.dispose([rows, cols]);
    } else if (name.startsWith('vision.stem') || name.startsWith('vision.pool.w')) {
      // He initialisation: the conv stem stacks ReLU layers with no normalisation between them
      weights[name] = tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]), 'float32', s++);
    } else {
      // residual projections scaled down with depth (GPT-2)
      const residual = name.endsWith('proj.w') || name.endsWith('out.w');
      const std = residual ? 0.02 / Math.sqrt(2 * Math.max(config.layers, config.visionLayers)) : 0.02;
      weights[name] = tf.randomNormal(shape, 0, std, 'float32', s++);
    }
  }
  return weights;
}

/**
 * Residual outputs (attention projection and MLP output) of the transformer blocks among `fresh`
 * weight names set to zero: a block a grown model adds (a deeper encoder) then passes its input
 * through unchanged, so the grown model first computes exactly what its source did. Biases are
 * zero already; the block's other weights keep their random initialisation, so it can learn.
 * @returns the names zeroed.
 */
export function zeroGrownBlocks(weights: WeightMap, fresh: readonly string[]): string[] {
  const zeroed = fresh.filter((name) => /\.block\d+\.(proj|out)\.w$/.test(name));
  for (const name of zeroed) {
    const shape = weights[name].shape;
    weights[name].dispose();
    weights[name] = tf.zeros(shape);
  }
  return zeroed;
}
