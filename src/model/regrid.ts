/**
 * Grows a trained model's weights into a config with a finer image-token grid (merge 2 → 1) and
 * a longer context, so the `fine` preset starts from what an `ask` model learnt instead of from
 * scratch. What carries over exactly, and what only approximately:
 *   - vision.pos: permuted from the merge-contiguous patch order to row-major. The encoder is
 *     otherwise permutation-equivariant, so its patch features are the source's, reordered.
 *   - projector.w1 / projector.pool: a merged token read four patches' features side by side
 *     through four row blocks; one patch's token gets their sum, so a region whose four patches
 *     look alike gives the token the source gave it (a mixed region does not).
 *   - projector.pos, decoder.pointer: every fine cell takes its coarse cell's vector, so the
 *     pointer writes exactly what it did for the same attention summed per coarse cell.
 *   - decoder.pos: the source's positions, then its last position repeated.
 * Everything else is shared as is; weights the source lacks are left out (the caller initialises
 * them). Pure: returns new tensors, leaves `weights` alone.
 */
import * as tf from './tf';
import { type ModelConfig, gridSide, weightShapes } from './config';
import type { WeightMap } from './vlm';

/** Row-major grid cell → its index in the merge-contiguous patch order (2×2 groups contiguous). */
export function mergeContiguousIndex(grid: number): number[] {
  const index: number[] = [];
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const group = Math.floor(y / 2) * (grid / 2) + Math.floor(x / 2);
      index.push(group * 4 + (y % 2) * 2 + (x % 2));
    }
  }
  return index;
}

/**
 * `from`'s weights (merge 2) as weights of `to` (merge 1, maxSeq ≥ from's; otherwise the same
 * architecture). @throws when the two configs differ in anything else.
 */
export function regridWeights(weights: WeightMap, from: ModelConfig, to: ModelConfig): WeightMap {
  if (from.merge !== 2 || to.merge !== 1) throw new Error(`regrid grows merge 2 into merge 1 (got ${from.merge} → ${to.merge})`);
  if (to.maxSeq < from.maxSeq) throw new Error(`regrid cannot shorten the context (${from.maxSeq} → ${to.maxSeq})`);
  const grid = gridSide(from);
  const fineSide = grid; // merge 1: one token per patch
  const coarseSide = grid / 2;
  // fine cell (row-major) → its coarse cell (row-major)
  const parent = Array.from({ length: fineSide * fineSide }, (_, i) => Math.floor(Math.floor(i / fineSide) / 2) * coarseSide + Math.floor((i % fineSide) / 2));
  const sumBlocks = (w: tf.Tensor) => {
    const [rows, cols] = w.shape as [number, number];
    return w.reshape([4, rows / 4, cols]).sum(0);
  };
  const shapes = weightShapes(to);
  const out: WeightMap = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const w = weights[name];
    if (!w) continue; // a pathway the source lacks: the caller initialises it
    out[name] = tf.tidy(() => {
      switch (name) {
        case 'vision.pos': return tf.gather(w, mergeContiguousIndex(grid));
        case 'projector.w1':
        case 'projector.pool': return sumBlocks(w);
        case 'projector.pos':
        case 'decoder.pointer': return tf.gather(w, parent);
        case 'decoder.pos': {
          const extra = to.maxSeq - from.maxSeq;
          return extra === 0 ? w.clone() : tf.concat([w, tf.tile(w.slice([from.maxSeq - 1, 0], [1, -1]), [extra, 1])]);
        }
        default: return w.clone();
      }
    });
    if (out[name].shape.join() !== shape.join()) {
      tf.dispose(Object.values(out));
      throw new Error(`regrid: ${name} is [${out[name].shape}], ${to.preset} needs [${shape}] (the configs differ beyond merge and maxSeq)`);
    }
  }
  return out;
}
