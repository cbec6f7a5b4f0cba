import { describe, expect, it } from 'vitest';
import * as tf from './tf';
import { averageTensorMaps, averageWeights } from './average';
import { presetConfig } from './config';
import { initWeights } from './init';
import { SquintModel } from './squint-model';
import { SquintTokenizer, buildTokenizerJson } from './tokenizer';

const tok = new SquintTokenizer(buildTokenizerJson(['How many red objects are there?', 'I count 2 of them.']));
const model = (seed: number, preset = 'tiny-fine') => {
  const config = presetConfig(preset, tok.vocabSize);
  return new SquintModel(config, tok, initWeights(config, seed));
};

describe('averageWeights', () => {
  it('is the element-wise mean of every weight, leaving the models as they were', async () => {
    await tf.setBackend('cpu');
    const models = [model(1), model(2), model(3)];
    const before = tf.memory().numTensors;
    const mean = averageWeights(models);
    const names = Object.keys(models[0].vlm.weights);
    expect(Object.keys(mean).sort()).toEqual([...names].sort());
    expect(tf.memory().numTensors).toBe(before + names.length); // one new tensor per weight, nothing else kept
    for (const name of names) {
      const parts = models.map((m) => m.vlm.weights[name].dataSync());
      const got = mean[name].dataSync();
      for (let i = 0; i < got.length; i += 97) expect(got[i]).toBeCloseTo((parts[0][i] + parts[1][i] + parts[2][i]) / 3, 5);
    }
    // the inputs are untouched: averaging a model with itself gives it back
    const self = averageWeights([models[0], models[0]]);
    for (const name of names) expect(Array.from(self[name].dataSync())).toEqual(Array.from(models[0].vlm.weights[name].dataSync()));
    tf.dispose([...Object.values(mean), ...Object.values(self)]);
    models.forEach((m) => m.dispose());
  });

  it('refuses one model, and models of another preset, naming what differs', () => {
    const [a, b] = [model(1), model(2, 'tiny-tally')];
    expect(() => averageWeights([a])).toThrow(/two or more models/);
    expect(() => averageWeights([a, b])).toThrow(/model 2's config differs/);
    a.dispose();
    b.dispose();
  });
});

describe('averageTensorMaps', () => {
  it('averages aux heads of one layout and names the tensor that differs', () => {
    const a = { 'aux.w': tf.tensor2d([[1, 2]]), 'aux.b': tf.tensor1d([0]) };
    const b = { 'aux.w': tf.tensor2d([[3, 6]]), 'aux.b': tf.tensor1d([4]) };
    const before = tf.memory().numTensors;
    const mean = averageTensorMaps([a, b], 'aux head');
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(Array.from(mean['aux.w'].dataSync())).toEqual([2, 4]);
    expect(Array.from(mean['aux.b'].dataSync())).toEqual([2]);
    const wide = { 'aux.w': tf.tensor2d([[1, 2, 3]]), 'aux.b': tf.tensor1d([0]) };
    expect(() => averageTensorMaps([a, wide], 'aux head')).toThrow(/aux head 2's shape of aux\.w differs/);
    expect(() => averageTensorMaps([a, { 'aux.w': a['aux.w'] }], 'aux head')).toThrow(/aux head 2's list of weights differs/);
    expect(() => averageTensorMaps([a], 'aux head')).toThrow(/two or more aux heads/);
    tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(wide), ...Object.values(mean)]);
  });
});
