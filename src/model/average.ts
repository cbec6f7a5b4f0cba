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
  const names = Object.keys(first.vlm.weights).sort();
  models.forEach((m, i) => {
    const differs = (what: string) => new Error(`model ${i + 1}'s ${what} differs from model 1's: only models of one line can be averaged`);
    if (JSON.stringify(m.config) !== JSON.stringify(first.config)) throw differs('config');
    if (JSON.stringify(m.tokenizer.json) !== JSON.stringify(first.tokenizer.json)) throw differs('tokenizer');
    if (Object.keys(m.vlm.weights).sort().join() !== names.join()) throw differs('list of weights');
    for (const name of names) if (m.vlm.weights[name].shape.join() !== first.vlm.weights[name].shape.join()) throw differs(`shape of ${name}`);
  });
  return Object.fromEntries(names.map((name) => [name, tf.tidy(() => tf.addN(models.map((m) => m.vlm.weights[name])).div(models.length))]));
}
