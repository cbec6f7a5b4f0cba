/**
 * A "model soup": the element-wise mean of several models' weights. Runs of one stage from one
 * starting point on different training data land near each other, and their mean is often
 * better than either (Wortsman et al., 2022). Only models of one line can be averaged: the same
 * config, tokenizer and weight shapes.
 */
import * as tf from './tf';
import type { SquintModel } from './squint-model';
import type { WeightMap } from './vlm';

/** The mean of the models' weights (new tensors, the caller's to dispose). @throws naming what differs. */
export function averageWeights(models: readonly SquintModel[]): WeightMap {
  if (models.length < 2) throw new Error(`averaging needs two or more models, got ${models.length}`);
  const [first] = models;
  models.forEach((m, i) => {
    const differs = (what: string) => new Error(`model ${i + 1}'s ${what} differs from model 1's: only models of one line can be averaged`);
    if (JSON.stringify(m.config) !== JSON.stringify(first.config)) throw differs('config');
    if (JSON.stringify(m.tokenizer.json) !== JSON.stringify(first.tokenizer.json)) throw differs('tokenizer');
  });
  return averageTensorMaps(models.map((m) => m.vlm.weights), 'model');
}

/**
 * The mean of named tensor maps of one layout (new tensors, the caller's to dispose): a model's
 * weights, or the training-only aux heads of checkpoints of one line, so that a stage started
 * from a soup keeps a trained head. @throws naming the tensor whose presence or shape differs.
 */
export function averageTensorMaps(maps: readonly Record<string, tf.Tensor>[], what = 'set'): Record<string, tf.Tensor> {
  if (maps.length < 2) throw new Error(`averaging needs two or more ${what}s, got ${maps.length}`);
  const names = Object.keys(maps[0]).sort();
  maps.forEach((m, i) => {
    const differs = (part: string) => new Error(`${what} ${i + 1}'s ${part} differs from ${what} 1's: only models of one line can be averaged`);
    if (Object.keys(m).sort().join() !== names.join()) throw differs('list of weights');
    for (const name of names) if (m[name].shape.join() !== maps[0][name].shape.join()) throw differs(`shape of ${name}`);
  });
  return Object.fromEntries(names.map((name) => [name, tf.tidy(() => tf.addN(maps.map((m) => m[name])).div(maps.length))]));
}
