/** Random initialisation (GPT-2 style): N(0, 0.02) matrices, zero biases, unit LayerNorm gains. */
import * as tf from './tf';
import { DETECT_BIAS, GATE_BIAS, type ModelConfig, weightShapes } from './config';
import type { WeightMap } from './vlm';

/** Output weights of added pathways, zero so that a model grown from one without them starts out computing exactly what it did. */
const GROWN_AT_ZERO = new Set(['vision.pool.out', 'decoder.pointer', 'decoder.readout', 'decoder.mass', 'decoder.peaks', 'decoder.detect.out', 'decoder.detect.ladder', 'decoder.detect.fine.mix', 'decoder.detect.fine.pixels', 'decoder.detect.gate.w', 'decoder.aim.pointer', 'decoder.aim.null', 'decoder.aim.steer', 'decoder.aim.trust.w', 'decoder.aim.reach.w2']);

/**
 * New weights that start as a copy of one the source has: the fine detector's query and bias
 * start as the token detector's, so its queries already ask for the asked colour in the scan's
 * area from the first step and only its keys have to learn to answer them (from a random query,
 * query and key both start near zero and its sums stayed far behind the token detector's).
 */
const GROWN_AS_COPY: Record<string, string> = { 'decoder.detect.fine.q': 'decoder.detect.q', 'decoder.detect.fine.bias': 'decoder.detect.bias' };

/** The fine detector's and the aim's key MLPs (fineDetector, fineAim), initialised like the conv stem they read. */
const FINE_KEY_MLP = new Set(['decoder.detect.fine.reduce', 'decoder.detect.fine.w1', 'decoder.detect.fine.w2', 'decoder.detect.fine.pixel.w', 'decoder.aim.reduce', 'decoder.aim.pixels', 'decoder.aim.w2', 'decoder.aim.reach.w1']);

export function initWeights(config: ModelConfig, seed = 1): WeightMap {
  const weights: WeightMap = {};
  let s = seed;
  for (const [name, shape] of Object.entries(weightShapes(config))) {
    const last = name.split('.').pop()!;
    if (last === 'g') weights[name] = tf.ones(shape);
    else if (name === 'decoder.detect.bias' || name === 'decoder.detect.fine.bias') weights[name] = tf.fill(shape, DETECT_BIAS);
    else if (name === 'decoder.detect.gate.bias') weights[name] = tf.fill(shape, GATE_BIAS);
    else if (last === 'b' || last.startsWith('b')) weights[name] = tf.zeros(shape);
    else if (GROWN_AT_ZERO.has(name)) weights[name] = tf.zeros(shape);
    else if (name === 'projector.pos' || name === 'decoder.detect.fine.pos') {
      // a row vector plus a column vector per grid cell, so "upper" and "left" are separate
      // directions from the start; std 0.6 gives a norm about a quarter of a trained image token's
      const side = Math.sqrt(shape[0]);
      const rows = tf.randomNormal([side, 1, shape[1]], 0, 0.6, 'float32', s++);
      const cols = tf.randomNormal([1, side, shape[1]], 0, 0.6, 'float32', s++);
      weights[name] = rows.add(cols).reshape(shape);
      tf.dispose([rows, cols]);
    } else if (name.startsWith('vision.stem') || name.startsWith('vision.pool.w') || FINE_KEY_MLP.has(name)) {
      // He initialisation: the conv stem (and the fine detector's key MLP) stack ReLU layers with no normalisation between them
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
 * Weights of `config` taken from `source` (a model of the same line, on the same token grid)
 * wherever it has them; the rest keep their initialisation (or copy a twin, GROWN_AS_COPY), and
 * a transformer block the source lacks starts as the identity: its residual outputs (attention projection, MLP output) are zero,
 * its other weights random, so the grown model first computes exactly what its source did and
 * the block can still learn. `origin` names the source in errors.
 * @returns the weights (source tensors cloned), the names not in the source, and those zeroed.
 * @throws when a shared weight's shape differs (the config does not fit the source).
 */
export function growWeights(config: ModelConfig, source: WeightMap, origin: string): { weights: WeightMap; fresh: string[]; identity: string[] } {
  const weights = initWeights(config, 1);
  const fresh: string[] = [];
  for (const name of Object.keys(weights)) {
    const t = source[name];
    if (!t) {
      fresh.push(name);
      const twin = source[GROWN_AS_COPY[name]];
      if (twin) weights[name].dispose(), (weights[name] = twin.clone());
      continue;
    }
    if (t.shape.join() !== weights[name].shape.join()) throw new Error(`${origin}: ${name} is [${t.shape}], the ${config.preset} preset needs [${weights[name].shape}]`);
    weights[name].dispose();
    weights[name] = t.clone();
  }
  const identity = fresh.filter((name) => /\.block\d+\.(proj|out)\.w$/.test(name));
  for (const name of identity) {
    const shape = weights[name].shape;
    weights[name].dispose();
    weights[name] = tf.zeros(shape);
  }
  return { weights, fresh, identity };
}
