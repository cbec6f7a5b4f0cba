/**
 * A graft: the weights under named prefixes copied from one model into another of the same
 * shapes. A fine detector trained further on its own (a warm-up) goes back into the model whose
 * ladder and gate were taught on its earlier self, so that only those small pieces need
 * retraining, not the chain of stages that built them.
 */
import * as tf from './tf';
import type { WeightMap } from './vlm';

/**
 * Replaces `target`'s weights whose names start with one of `prefixes` by copies of `donor`'s
 * (disposing the replaced tensors) and returns their names, sorted. Checks everything before
 * changing anything. @throws when a prefix matches no donor weight, or a matched weight is
 * missing from `target` or has another shape there.
 */
export function graftWeights(target: WeightMap, donor: WeightMap, prefixes: readonly string[]): string[] {
  if (prefixes.length === 0) throw new Error('graft: name at least one weight prefix to take');
  const names = Object.keys(donor).filter((name) => prefixes.some((p) => name.startsWith(p))).sort();
  for (const p of prefixes) if (!names.some((name) => name.startsWith(p))) throw new Error(`graft: the donor has no weight starting with "${p}"`);
  for (const name of names) {
    if (!target[name]) throw new Error(`graft: ${name} is the donor's but not the target's (the two models are of different presets)`);
    if (target[name].shape.join() !== donor[name].shape.join()) throw new Error(`graft: ${name} is [${donor[name].shape}] in the donor and [${target[name].shape}] in the target`);
  }
  for (const name of names) {
    target[name].dispose();
    target[name] = tf.clone(donor[name]);
  }
  return names;
}
