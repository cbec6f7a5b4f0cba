import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintModel } from '../model/squint-model';
import { Vlm } from '../model/vlm';
import { buildTokenizerJson, SquintTokenizer } from '../model/tokenizer';
import { createNodeCanvas } from '../world/node-canvas';
import { Adam } from './adam';
import { disposeBatch, makeBatch } from './batch';
import { makeExample, tokenizerCorpus } from './data';
import { auxVariables, createAuxHead } from './aux-head';
import { learningRate, sftStep, toVariables } from './sft';
import { AUX_CHANNELS } from './vision-labels';

describe('learningRate', () => {
  it('warms up linearly then decays by cosine to the floor', () => {
    const s = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLrFraction: 0.1 };
    expect(learningRate(0, s)).toBeCloseTo(1e-4);
    expect(learningRate(9, s)).toBeCloseTo(1e-3);
    expect(learningRate(60, s)).toBeCloseTo(0.55e-3);
    expect(learningRate(110, s)).toBeCloseTo(1e-4);
  });
});

describe('SFT on oracle trajectories (tiny preset, WASM-free CPU backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('loss falls on a fixed batch, and a step leaves the tensor count unchanged', async () => {
    const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(200)));
    const config = presetConfig('tiny', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 2));
    const seqs = Array.from({ length: 4 }, (_, i) => makeExample(model, 100 + i, createNodeCanvas).sequence);
    const vars = toVariables(model.vlm.weights);
    const trainable = new Vlm(config, vars, model.vlm.imageTokenId);
    const adam = new Adam();
    const batch = makeBatch(seqs, model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
    const losses: number[] = [];
    let countAfterFirst = 0;
    for (let step = 0; step < 25; step++) {
      const r = await sftStep(trainable, vars, adam, batch, 3e-3);
      expect(r.applied).toBe(true);
      losses.push(r.loss);
      if (step === 0) countAfterFirst = tf.memory().numTensors; // Adam's slots exist from here on
      else expect(tf.memory().numTensors).toBe(countAfterFirst);
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.6);
    disposeBatch(batch);
    adam.dispose();
    Object.values(vars).forEach((v) => v.dispose());
    model.dispose();
  });

  it('with a colour pool, the aux head teaches the pool colour presence: pool and head move, the aux loss falls, no tensors leak', async () => {
    const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(200)));
    const config = presetConfig('tiny-conv', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 4));
    const examples = Array.from({ length: 3 }, (_, i) => makeExample(model, 200 + i, createNodeCanvas));
    const seqs = examples.map((e) => ({ ...e.sequence, auxLabels: e.auxLabels }));
    const vars = toVariables(model.vlm.weights);
    const trainable = new Vlm(config, vars, model.vlm.imageTokenId);
    const aux = createAuxHead(config.visionDim, AUX_CHANNELS, 1, config.colourPool);
    expect(Object.keys(auxVariables(aux))).toEqual(['aux.w', 'aux.b', 'aux.pool.w', 'aux.pool.b']);
    const adam = new Adam();
    const batch = makeBatch(seqs, model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
    expect(batch.auxLabels).not.toBeNull();
    const before = { w1: await vars['vision.pool.w1'].data(), head: await aux.poolW!.data() };
    const auxLosses: number[] = [];
    let countAfterFirst = 0;
    for (let step = 0; step < 15; step++) {
      auxLosses.push((await sftStep(trainable, vars, adam, batch, 3e-3, { aux })).auxLoss);
      if (step === 0) countAfterFirst = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(countAfterFirst);
    }
    expect(auxLosses.at(-1)!).toBeLessThan(auxLosses[0]);
    expect(await vars['vision.pool.w1'].data()).not.toEqual(before.w1);
    expect(await aux.poolW!.data()).not.toEqual(before.head);
    disposeBatch(batch);
    adam.dispose();
    tf.dispose([...Object.values(vars), ...Object.values(auxVariables(aux))]);
    model.dispose();
  });

  it('extra views: their vision loss is reported and falls, the encoder learns from them, no tensors leak; without a head they are ignored', async () => {
    const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(200)));
    const config = presetConfig('tiny-conv', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 5));
    const examples = Array.from({ length: 2 }, (_, i) => makeExample(model, 250 + i, createNodeCanvas));
    // the extra views: the examples' own images with their labels (any views with labels will do)
    const images = examples.flatMap((e) => e.sequence.images);
    const labels = examples.flatMap((e) => e.auxLabels);
    const extra = {
      patches: tf.tensor3d(images.flatMap((img) => [...img]), [images.length, ...model.patchShape]),
      labels: tf.tensor3d(labels.flatMap((l) => [...l]), [labels.length, labels[0].length / AUX_CHANNELS, AUX_CHANNELS]),
      weight: 1,
    };
    const vars = toVariables(model.vlm.weights);
    const trainable = new Vlm(config, vars, model.vlm.imageTokenId);
    const aux = createAuxHead(config.visionDim, AUX_CHANNELS, 1, config.colourPool);
    const adam = new Adam();
    // sequences without aux labels: only the extra views train the head
    const batch = makeBatch(examples.map((e) => e.sequence), model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
    expect(batch.auxLabels).toBeNull();
    const without = await sftStep(trainable, vars, adam, batch, 0, { extra });
    expect(without.extraLoss).toBeNaN();
    const stem = await vars['vision.stem1.w'].data();
    const losses: number[] = [];
    let countAfterFirst = 0;
    for (let step = 0; step < 15; step++) {
      const r = await sftStep(trainable, vars, adam, batch, 3e-3, { aux, extra });
      expect(r.auxLoss).toBeNaN();
      losses.push(r.extraLoss);
      if (step === 0) countAfterFirst = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(countAfterFirst);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(await vars['vision.stem1.w'].data()).not.toEqual(stem);
    tf.dispose([extra.patches, extra.labels]);
    disposeBatch(batch);
    adam.dispose();
    tf.dispose([...Object.values(vars), ...Object.values(auxVariables(aux))]);
    model.dispose();
  });

  it('question first, one token per patch (tiny-fine): the question precedes the image, grounding keys fall in the image block, the loss falls, no tensors leak', async () => {
    const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(200)));
    const config = presetConfig('tiny-fine', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 6));
    const imageId = tok.special('<image>');
    const seqs = Array.from({ length: 4 }, (_, i) => makeExample(model, 300 + i, createNodeCanvas).sequence);
    for (const seq of seqs) {
      const firstImage = seq.ids.indexOf(imageId);
      // <bos><user>{question}<image>…: the question's words come before the first image token
      expect(firstImage).toBeGreaterThan(3);
      expect(seq.ids.slice(firstImage, firstImage + model.tokensPerImage).every((id) => id === imageId)).toBe(true);
      for (const { keys } of seq.grounding) for (const k of keys) expect(seq.ids[k]).toBe(imageId);
    }
    expect(seqs.some((s) => s.grounding.length > 0)).toBe(true);
    const vars = toVariables(model.vlm.weights);
    const trainable = new Vlm(config, vars, model.vlm.imageTokenId);
    const adam = new Adam();
    const batch = makeBatch(seqs, imageId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
    const losses: number[] = [];
    let countAfterFirst = 0;
    for (let step = 0; step < 20; step++) {
      const r = await sftStep(trainable, vars, adam, batch, 3e-3, { groundWeight: 1 });
      expect(Number.isFinite(r.groundLoss)).toBe(true);
      losses.push(r.loss);
      if (step === 0) countAfterFirst = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(countAfterFirst);
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.7);
    disposeBatch(batch);
    adam.dispose();
    Object.values(vars).forEach((v) => v.dispose());
    model.dispose();
  });

  it('the aim pathway (tiny-aim): its loss is reported and falls, its keys and pointer learn, no tensors leak', async () => {
    const tok = new SquintTokenizer(buildTokenizerJson(tokenizerCorpus(200)));
    const config = presetConfig('tiny-aim', tok.vocabSize);
    const model = new SquintModel(config, tok, initWeights(config, 6));
    const seqs = Array.from({ length: 4 }, (_, i) => makeExample(model, 300 + i, createNodeCanvas).sequence);
    expect(seqs.some((s) => s.grounding.some((q) => q.aim?.length))).toBe(true);
    const vars = toVariables(model.vlm.weights);
    const trainable = new Vlm(config, vars, model.vlm.imageTokenId);
    const adam = new Adam();
    const batch = makeBatch(seqs, model.vlm.imageTokenId, model.tokensPerImage, tok.special('<pad>'), model.patchShape);
    const [keysBefore, pointerBefore] = [await vars['decoder.aim.w2'].data(), await vars['decoder.aim.pointer'].data()];
    const losses: number[] = [];
    let countAfterFirst = 0;
    for (let step = 0; step < 20; step++) {
      const r = await sftStep(trainable, vars, adam, batch, 3e-3, { aimWeight: 1 });
      losses.push(r.aimLoss);
      if (step === 0) countAfterFirst = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(countAfterFirst);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.8);
    expect(await vars['decoder.aim.w2'].data()).not.toEqual(keysBefore);
    expect(await vars['decoder.aim.pointer'].data()).not.toEqual(pointerBefore); // grown at zero, taught by the tokens' loss
    // off by default
    expect(Number.isNaN((await sftStep(trainable, vars, adam, batch, 0)).aimLoss)).toBe(true);
    disposeBatch(batch);
    adam.dispose();
    Object.values(vars).forEach((v) => v.dispose());
    model.dispose();
  });

  it('skips the update when the loss is not finite', async () => {
    const tok = new SquintTokenizer(buildTokenizerJson(['a b c']));
    const config = presetConfig('tiny', tok.vocabSize);
    const weights = initWeights(config, 3);
    weights['decoder.head'].dispose();
    weights['decoder.head'] = tf.fill([config.dim, config.vocabSize], NaN);
    const vars = toVariables(weights);
    const before = await vars['decoder.embed'].data();
    const adam = new Adam();
    const ids = [tok.special('<bos>'), ...tok.encode('a b c')];
    const batch = makeBatch([{ ids, weights: ids.map(() => 1), images: [] }], tok.special('<image>'), 4, tok.special('<pad>'), [16, 192]);
    const r = await sftStep(new Vlm(config, vars, tok.special('<image>')), vars, adam, batch, 1e-3);
    expect(r.applied).toBe(false);
    expect(await vars['decoder.embed'].data()).toEqual(before);
    disposeBatch(batch);
    Object.values(weights).forEach((t) => t.dispose());
    Object.values(vars).forEach((v) => v.dispose());
  });
});
